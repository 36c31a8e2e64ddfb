package io.cistern.spring.boot;

import static org.assertj.core.api.Assertions.assertThat;

import io.cistern.reader.ReaderSettings;
import io.cistern.schema.keys.KeyLayout;
import io.cistern.sync.SyncSettings;
import io.cistern.writer.WriterSettings;
import java.io.InputStream;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.MapConfigurationPropertySource;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;

/**
 * The build generates {@code META-INF/spring-configuration-metadata.json} (IDE completion), and it lists every
 * property of {@link CisternProperties} with a description and a default, and those defaults are the settings
 * records' own.
 */
class ConfigurationMetadataTest {
    /** Properties whose default is computed at startup; their description names it. */
    private static final Set<String> COMPUTED_DEFAULTS = Set.of("cistern.sync.worker-id");

    @Test
    void metadata_listsEveryCisternPropertyWithDescriptionAndDefault() throws Exception {
        // given the metadata the annotation processor wrote
        Map<String, JsonNode> listed = new HashMap<>();
        try (InputStream in = getClass().getResourceAsStream("/META-INF/spring-configuration-metadata.json")) {
            assertThat(in)
                    .as("spring-configuration-metadata.json on the class path")
                    .isNotNull();
            for (JsonNode p : new ObjectMapper().readTree(in).get("properties")) {
                listed.put(p.get("name").stringValue(), p);
            }
        }

        // when every bindable property of CisternProperties is enumerated
        Set<String> expected = new TreeSet<>();
        collect("cistern", CisternProperties.class, expected);

        // then each is listed, described and defaulted
        assertThat(expected).hasSizeGreaterThan(20);
        assertThat(listed.keySet()).containsAll(expected);
        for (String name : expected) {
            JsonNode p = listed.get(name);
            assertThat(p.path("description").asString(""))
                    .as("description of " + name)
                    .hasSizeGreaterThan(15);
            if (!COMPUTED_DEFAULTS.contains(name)) {
                assertThat(p.has("defaultValue")).as("default of " + name).isTrue();
            }
        }
        assertThat(listed.get("cistern.sync.embedded.enabled")
                        .get("defaultValue")
                        .asBoolean())
                .isFalse();
        assertThat(listed.get("cistern.sync.linger").get("type").stringValue()).isEqualTo(Duration.class.getName());
        assertThat(listed.get("cistern.sync.worker-id").get("description").stringValue())
                .contains("Default: host-pid-random");
    }

    @Test
    void metadataDefaults_areTheSettingsRecordsDefaults() throws Exception {
        // given every default the metadata shows (some written by hand, for properties that are unset until bound)
        Map<String, Object> shown = new HashMap<>();
        try (InputStream in = getClass().getResourceAsStream("/META-INF/spring-configuration-metadata.json")) {
            for (JsonNode p : new ObjectMapper().readTree(in).get("properties")) {
                String name = p.get("name").stringValue();
                if (name.startsWith("cistern.") && p.has("defaultValue")) {
                    shown.put(name, p.get("defaultValue").asString());
                }
            }
        }

        // when they are bound as if an application had set each of them
        CisternProperties properties = new Binder(new MapConfigurationPropertySource(shown))
                .bind("cistern", CisternProperties.class)
                .get();

        // then the components get exactly their defaults (a changed DEFAULT_* constant needs the metadata changed too)
        assertThat(CisternReaderAutoConfiguration.settings(properties)).isEqualTo(ReaderSettings.defaults());
        SyncSettings sync = CisternSyncWorkerAutoConfiguration.settings(properties);
        assertThat(sync)
                .isEqualTo(SyncSettings.defaults(KeyLayout.defaults())
                        .mutate()
                        .workerId(sync.workerId())
                        .build());
        assertThat(properties.getKeyPrefix()).isEqualTo(KeyLayout.DEFAULT_PREFIX);
        assertThat(properties.getWriter().getRegistryRefresh()).isEqualTo(WriterSettings.DEFAULT_REGISTRY_REFRESH);
        assertThat(properties.getWriter().getWaitReplicas()).isZero();
        assertThat(properties.getWriter().getWaitTimeout()).isEqualTo(WriterSettings.DEFAULT_WAIT_TIMEOUT);
        assertThat(properties.getReader().getLocalCacheTtl())
                .as("bound, not left to the default")
                .isNotNull();
    }

    /** Leaf properties: fields with a setter; nested groups: final fields of a nested type. */
    private static void collect(String prefix, Class<?> type, Set<String> names) {
        for (Field f : type.getDeclaredFields()) {
            if (Modifier.isStatic(f.getModifiers())) {
                continue;
            }
            String name =
                    prefix + "." + f.getName().replaceAll("([A-Z])", "-$1").toLowerCase(java.util.Locale.ROOT);
            if (f.getType().getDeclaringClass() == CisternProperties.class
                    || f.getType().getDeclaringClass() == CisternProperties.Sync.class) {
                collect(name, f.getType(), names);
            } else {
                names.add(name);
            }
        }
    }
}
