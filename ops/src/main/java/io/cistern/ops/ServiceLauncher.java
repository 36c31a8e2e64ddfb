package io.cistern.ops;

import java.util.LinkedHashMap;
import java.util.Map;
import org.springframework.boot.SpringApplication;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.support.GenericApplicationContext;

/** Starts a Spring Boot service from configuration classes, with ready-made beans handed in by the command. */
final class ServiceLauncher {
    private ServiceLauncher() {}

    /**
     * Starts the service. Each bean in {@code beans} is registered under its name with its runtime type (so that
     * {@code @ConditionalOnMissingBean} sees it), and closed with the context when it is {@code AutoCloseable}.
     */
    static ConfigurableApplicationContext start(
            String name, int port, Map<String, Object> beans, Class<?>... configurations) {
        SpringApplication app = new SpringApplication(configurations);
        Map<String, Object> properties = new LinkedHashMap<>();
        properties.put("spring.application.name", name);
        properties.put("server.port", port);
        properties.put("spring.main.banner-mode", "off");
        app.setDefaultProperties(properties);
        app.addInitializers(ctx -> beans.forEach((beanName, bean) -> register(ctx, beanName, bean)));
        return app.run();
    }

    private static <T> void register(ConfigurableApplicationContext ctx, String name, T bean) {
        @SuppressWarnings("unchecked")
        Class<T> type = (Class<T>) bean.getClass();
        ((GenericApplicationContext) ctx).registerBean(name, type, () -> bean);
    }
}
