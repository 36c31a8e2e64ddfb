package io.cistern.writer.http;

import io.cistern.writer.RecordWriter;
import io.cistern.writer.WriterSettings;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.composite.CompositeMeterRegistry;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.DeferredImportSelector;
import org.springframework.core.env.Environment;
import org.springframework.core.type.AnnotationMetadata;

/**
 * The beans {@link WriterHttpConfiguration} provides only when the application has none of its own. Imported through
 * a {@link DeferredImportSelector}, so that these conditions are evaluated after every configuration class of the
 * application has been read, whatever the order of imports.
 */
@Configuration(proxyBeanMethods = false)
class WriterDefaults {
    private static final Logger LOG = LoggerFactory.getLogger(WriterDefaults.class);

    /** The variables {@link WriterSettings#fromEnvironment} reads; a Spring property of the same name overrides each. */
    private static final List<String> WRITER_VARIABLES = List.of(
            "REDIS_URL",
            "REDIS_PASSWORD",
            "REDIS_PASSWORD_FILE",
            "REDIS_COMMAND_TIMEOUT_MS",
            "REDIS_CONNECT_TIMEOUT_MS",
            "CISTERN_PREFIX",
            "CISTERN_REGISTRY_REFRESH_MS",
            "CISTERN_WRITER_WAIT_REPLICAS",
            "CISTERN_WRITER_WAIT_TIMEOUT_MS",
            WriterSettings.MAX_IN_FLIGHT_VARIABLE,
            WriterSettings.MAX_BATCH_VARIABLE);

    @Bean
    @ConditionalOnMissingBean
    WriterSettings cisternWriterSettings(Environment environment) {
        Map<String, String> variables = new HashMap<>(System.getenv());
        for (String name : WRITER_VARIABLES) {
            String value = environment.getProperty(name);
            if (value != null) {
                variables.put(name, value);
            }
        }
        WriterSettings settings = WriterSettings.fromEnvironment(variables);
        settings.redis().warnings().forEach(w -> LOG.warn("writer settings: {}", w));
        return settings;
    }

    @Bean(destroyMethod = "close")
    @ConditionalOnMissingBean
    RecordWriter cisternRecordWriter(WriterSettings settings, ObjectProvider<MeterRegistry> meters) {
        return RecordWriter.connect(settings, meters.getIfAvailable(CompositeMeterRegistry::new));
    }

    @Bean
    @ConditionalOnMissingBean
    WriterHttpSettings cisternWriterHttpSettings(Environment environment) {
        Map<String, String> variables = new HashMap<>();
        put(variables, environment, WriterHttpSettings.TOKEN, "cistern.writer.token");
        put(variables, environment, WriterHttpSettings.TOKEN_FILE, "cistern.writer.token-file");
        put(variables, environment, WriterHttpSettings.MAX_BODY_BYTES, "cistern.writer.max-body-bytes");
        WriterHttpSettings settings = WriterHttpSettings.fromEnvironment(variables);
        LOG.info("writer HTTP service: {}", settings);
        return settings;
    }

    /** The variable itself (from the environment or a property of the same name), else the relaxed property. */
    private static void put(Map<String, String> into, Environment environment, String variable, String property) {
        String value = environment.getProperty(variable);
        if (value == null) {
            value = environment.getProperty(property);
        }
        if (value != null) {
            into.put(variable, value);
        }
    }

    static final class Selector implements DeferredImportSelector {
        @Override
        public String[] selectImports(AnnotationMetadata importingClassMetadata) {
            return new String[] {WriterDefaults.class.getName()};
        }
    }
}
