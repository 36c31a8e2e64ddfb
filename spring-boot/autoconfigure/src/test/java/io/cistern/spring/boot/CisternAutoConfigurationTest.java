package io.cistern.spring.boot;

import static org.assertj.core.api.Assertions.assertThat;
import static org.mockito.Mockito.mock;

import io.cistern.reader.CachedReader;
import io.cistern.reader.ReaderSettings;
import io.cistern.schema.keys.KeyLayout;
import io.cistern.sync.SyncSettings;
import io.cistern.writer.RecordWriter;
import io.lettuce.core.ClientOptions;
import java.io.InputStream;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.data.redis.autoconfigure.LettuceClientOptionsBuilderCustomizer;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.data.redis.connection.RedisConnectionFactory;
import org.springframework.data.redis.connection.RedisStandaloneConfiguration;
import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;

/** The auto-configuration's conditions, without any server: which beans appear, when, and that the user's win. */
class CisternAutoConfigurationTest {
    private final ApplicationContextRunner runner = new ApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(
                    CisternAutoConfiguration.class,
                    CisternReaderAutoConfiguration.class,
                    CisternSyncWorkerAutoConfiguration.class,
                    CisternHealthAutoConfiguration.class));

    @Test
    void withoutRedisConnectionFactory_createsNoComponents() {
        runner.run(context -> {
            assertThat(context).hasNotFailed();
            assertThat(context).doesNotHaveBean(RecordWriter.class);
            assertThat(context).doesNotHaveBean(CachedReader.class);
            assertThat(context).doesNotHaveBean(EmbeddedSyncWorker.class);
            assertThat(context).doesNotHaveBean("cisternRedisHealthIndicator");
            assertThat(context).hasSingleBean(CisternProperties.class);
        });
    }

    @Test
    void userRecordWriterAndReader_winOverCisterns() {
        runner.withUserConfiguration(UserBeans.class)
                .withPropertyValues("management.health.cistern.enabled=false")
                .run(context -> {
                    assertThat(context).hasNotFailed();
                    assertThat(context).getBean(RecordWriter.class).isSameAs(context.getBean("myWriter"));
                    assertThat(context).getBean(CachedReader.class).isSameAs(context.getBean("myReader"));
                });
    }

    @Test
    void userHealthIndicator_replacesCisternsOfTheSameName() {
        // a real Lettuce factory, which connects to nothing until it is used
        runner.withUserConfiguration(UserHealth.class)
                .withBean(
                        RedisConnectionFactory.class,
                        () -> new LettuceConnectionFactory(new RedisStandaloneConfiguration("127.0.0.1", 1)))
                .withPropertyValues("cistern.writer.enabled=false", "cistern.reader.enabled=false")
                .run(context -> {
                    assertThat(context).hasNotFailed();
                    assertThat(context.getBean("cisternRedisHealthIndicator")).isSameAs(UserHealth.INDICATOR);
                    assertThat(context).hasBean("cisternBacklogHealthIndicator");
                });
    }

    @Test
    void notLettuce_failsNamingTheFix() {
        runner.withBean(RedisConnectionFactory.class, () -> mock(RedisConnectionFactory.class))
                .run(context -> {
                    assertThat(context).hasFailed();
                    assertThat(context.getStartupFailure())
                            .rootCause()
                            .hasMessageContaining("Cistern needs Spring Data Redis on Lettuce")
                            .hasMessageContaining("spring.data.redis.client-type=lettuce");
                });
    }

    @Test
    void writerDisabled_andNoHealth_leaveNothingThatTouchesRedis() {
        runner.withBean(RedisConnectionFactory.class, () -> mock(RedisConnectionFactory.class))
                .withPropertyValues(
                        "cistern.writer.enabled=false",
                        "cistern.reader.enabled=false",
                        "management.health.cistern.enabled=false")
                .run(context -> {
                    assertThat(context).hasNotFailed();
                    assertThat(context).doesNotHaveBean(RecordWriter.class);
                    assertThat(context).doesNotHaveBean(CachedReader.class);
                    assertThat(context).doesNotHaveBean(HealthIndicator.class);
                });
    }

    @Test
    void embeddedWorker_isOffByDefault() {
        runner.withBean(RedisConnectionFactory.class, () -> mock(RedisConnectionFactory.class))
                .withBean(DataSource.class, () -> mock(DataSource.class))
                .withPropertyValues(
                        "cistern.writer.enabled=false",
                        "cistern.reader.enabled=false",
                        "management.health.cistern.enabled=false")
                .run(context -> assertThat(context).doesNotHaveBean(EmbeddedSyncWorker.class));
    }

    @Test
    void clientCustomizer_rejectsCommandsWhileDisconnected_unlessSwitchedOff() {
        runner.run(context -> {
            ClientOptions.Builder options = ClientOptions.builder();
            context.getBean(LettuceClientOptionsBuilderCustomizer.class).customize(options);
            assertThat(options.build().getDisconnectedBehavior())
                    .isEqualTo(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS);
        });
        runner.withPropertyValues("cistern.redis.reject-commands-while-disconnected=false")
                .run(context -> assertThat(context).doesNotHaveBean(LettuceClientOptionsBuilderCustomizer.class));
    }

    @Test
    void defaultProperties_giveTheComponentsDefaults() {
        CisternProperties properties = new CisternProperties();

        assertThat(CisternReaderAutoConfiguration.settings(properties)).isEqualTo(ReaderSettings.defaults());
        SyncSettings sync = CisternSyncWorkerAutoConfiguration.settings(properties);
        SyncSettings defaults = SyncSettings.defaults(KeyLayout.defaults())
                .mutate()
                .workerId(sync.workerId())
                .build();
        assertThat(sync).isEqualTo(defaults);
        assertThat(properties.getWriter().getRegistryRefresh())
                .isEqualTo(io.cistern.writer.WriterSettings.of("redis://127.0.0.1:6379")
                        .registryRefresh());
    }

    @Test
    void writerWaitProperties_reachTheWriterSettings() {
        CisternProperties properties = new CisternProperties();
        properties.getWriter().setWaitReplicas(1);
        properties.getWriter().setWaitTimeout(java.time.Duration.ofMillis(250));

        io.cistern.writer.WriterSettings writer =
                ComponentSettings.writer(properties, io.cistern.connections.RedisSettings.of("redis://127.0.0.1:6379"));

        assertThat(writer.waitReplicas()).isEqualTo(1);
        assertThat(writer.waitTimeout()).isEqualTo(java.time.Duration.ofMillis(250));
        assertThat(ComponentSettings.writer(
                                new CisternProperties(),
                                io.cistern.connections.RedisSettings.of("redis://127.0.0.1:6379"))
                        .waitsForReplicas())
                .isFalse();
    }

    @Test
    void properties_needNeitherTheReaderNorTheSyncWorker() throws Exception {
        // given a class loader without cistern-reader and cistern-sync-worker (optional dependencies of this module)
        ClassLoader withoutOptional = new WithoutOptionalLibraries(getClass().getClassLoader());

        // when the properties are created and every value read, as binding and /actuator/configprops do
        Object properties = withoutOptional
                .loadClass(CisternProperties.class.getName())
                .getConstructor()
                .newInstance();
        int read = readEveryGetter(properties);

        // then nothing needed those libraries' classes (their defaults are applied where they are present)
        assertThat(properties.getClass().getClassLoader()).isSameAs(withoutOptional);
        assertThat(read).isGreaterThan(20);
    }

    @Test
    void invalidProperty_failsAtStartupNamingTheSetting() {
        CisternProperties properties = new CisternProperties();
        properties.getSync().setRenewInterval(java.time.Duration.ofSeconds(20));

        org.assertj.core.api.Assertions.assertThatThrownBy(
                        () -> CisternSyncWorkerAutoConfiguration.settings(properties))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("renewInterval")
                .hasMessageContaining("leaseTime");
    }

    @Configuration(proxyBeanMethods = false)
    static class UserBeans {
        @Bean
        RecordWriter myWriter() {
            return mock(RecordWriter.class);
        }

        @Bean
        CachedReader myReader() {
            return mock(CachedReader.class);
        }

        @Bean
        RedisConnectionFactory redisConnectionFactory() {
            return mock(RedisConnectionFactory.class);
        }

        @Bean
        DataSource dataSource() {
            return mock(DataSource.class);
        }
    }

    @Configuration(proxyBeanMethods = false)
    static class UserHealth {
        static final HealthIndicator INDICATOR =
                () -> org.springframework.boot.health.contributor.Health.up().build();

        @Bean
        HealthIndicator cisternRedisHealthIndicator() {
            return INDICATOR;
        }
    }

    /** Calls every getter, descending into the nested property groups; returns how many values it read. */
    private static int readEveryGetter(Object bean) throws Exception {
        int read = 0;
        for (java.lang.reflect.Method m : bean.getClass().getMethods()) {
            if (m.getParameterCount() == 0
                    && (m.getName().startsWith("get") || m.getName().startsWith("is"))
                    && m.getDeclaringClass() != Object.class) {
                Object value = m.invoke(bean);
                read++;
                if (value != null && value.getClass().getName().startsWith(CisternProperties.class.getName())) {
                    read += readEveryGetter(value);
                }
            }
        }
        return read;
    }

    /**
     * Loads {@link CisternProperties} and its nested classes itself, so that the classes they refer to are resolved
     * here, where the reader's and the sync worker's packages are missing.
     */
    private static final class WithoutOptionalLibraries extends ClassLoader {
        WithoutOptionalLibraries(ClassLoader parent) {
            super(parent);
        }

        @Override
        protected Class<?> loadClass(String name, boolean resolve) throws ClassNotFoundException {
            if (name.startsWith("io.cistern.reader.") || name.startsWith("io.cistern.sync.")) {
                throw new ClassNotFoundException(name + " is left out, as in an application without it");
            }
            if (!name.startsWith(CisternProperties.class.getName())) {
                return super.loadClass(name, resolve);
            }
            synchronized (getClassLoadingLock(name)) {
                Class<?> loaded = findLoadedClass(name);
                if (loaded == null) {
                    try (InputStream in = getParent().getResourceAsStream(name.replace('.', '/') + ".class")) {
                        byte[] bytes = in.readAllBytes();
                        loaded = defineClass(name, bytes, 0, bytes.length);
                    } catch (java.io.IOException e) {
                        throw new ClassNotFoundException(name, e);
                    }
                }
                return loaded;
            }
        }
    }
}
