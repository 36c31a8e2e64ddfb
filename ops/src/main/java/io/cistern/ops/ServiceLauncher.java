package io.cistern.ops;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.composite.CompositeMeterRegistry;
import java.util.LinkedHashMap;
import java.util.Map;
import org.springframework.boot.SpringApplication;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.event.ContextClosedEvent;
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
        // Cistern prints its own configuration block and "up" line; Spring's "Starting ... using Java" is noise here.
        properties.put("spring.main.log-startup-info", false);
        // Liveness is the process alone; readiness is every dependency's health (the writer's Redis, the worker's
        // Redis and PostgreSQL): a service that waits for a server is alive but not ready.
        properties.put("management.endpoint.health.probes.enabled", true);
        properties.put("management.endpoint.health.show-details", "always");
        properties.put("management.endpoints.web.exposure.include", "health,prometheus");
        app.setDefaultProperties(properties);
        app.addInitializers(ctx -> beans.forEach((beanName, bean) -> register(ctx, beanName, bean)));
        // As arguments, so they win over a role's own defaults: with every role on one port, readiness must cover
        // all of them.
        return app.run(
                "--management.endpoint.health.group.liveness.include=livenessState",
                "--management.endpoint.health.group.readiness.include=*");
    }

    /**
     * Starts the service, and routes {@code meters} into its registry: the components a command builds before or
     * outside the Spring context (the record writer, the sync worker) record into {@code meters}, an empty composite
     * until now, and their meters appear on {@code /actuator/prometheus} from here on (a composite replays the meters
     * it already holds into a registry added later). The registry is detached when the context closes.
     */
    static ConfigurableApplicationContext start(
            String name,
            int port,
            Map<String, Object> beans,
            CompositeMeterRegistry meters,
            Class<?>... configurations) {
        ConfigurableApplicationContext context = start(name, port, beans, configurations);
        MeterRegistry registry = context.getBean(MeterRegistry.class);
        meters.add(registry);
        context.addApplicationListener(
                (org.springframework.context.ApplicationListener<ContextClosedEvent>) e -> meters.remove(registry));
        return context;
    }

    private static <T> void register(ConfigurableApplicationContext ctx, String name, T bean) {
        @SuppressWarnings("unchecked")
        Class<T> type = (Class<T>) bean.getClass();
        ((GenericApplicationContext) ctx).registerBean(name, type, () -> bean);
    }
}
