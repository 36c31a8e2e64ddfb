package io.cistern.spring.boot;

import io.cistern.connections.RedisSettings;
import io.cistern.schema.keys.KeyLayout;
import io.cistern.writer.WriterSettings;
import java.util.function.Consumer;

/**
 * Turns {@link CisternProperties} into the writer's settings record (the reader's and the worker's are made in their
 * auto-configurations, which load only when those libraries are present), which validate every value (a wrong property
 * fails at startup with a message naming the setting). Pure: no Spring, no I/O.
 */
final class ComponentSettings {
    private ComponentSettings() {}

    static KeyLayout layout(CisternProperties properties) {
        return new KeyLayout(properties.getKeyPrefix());
    }

    static WriterSettings writer(CisternProperties properties, RedisSettings redis) {
        CisternProperties.Writer writer = properties.getWriter();
        return new WriterSettings(
                redis,
                layout(properties),
                writer.getRegistryRefresh(),
                writer.getWaitReplicas(),
                writer.getWaitTimeout());
    }

    /**
     * Gives a property to a settings builder when it is set; an unset one ({@code null}) leaves the record's default.
     */
    static <T> void ifSet(T property, Consumer<T> setter) {
        if (property != null) {
            setter.accept(property);
        }
    }
}
