package io.cistern.ops.dashboard;

import io.cistern.ops.status.StatusHistory;
import io.cistern.ops.status.StatusMonitor;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.web.servlet.config.annotation.ResourceHandlerRegistry;
import org.springframework.web.servlet.config.annotation.WebMvcConfigurer;

/**
 * The operator dashboard as a Spring configuration: import it into a service that has a {@link DashboardSource} bean.
 * It serves the page at {@code /}, its script and style under {@code /cistern/dashboard/}, and the JSON it polls at
 * {@code /cistern/status}, {@code /cistern/activity} and {@code /cistern/history}. The history follows the service's
 * {@link StatusMonitor} when it has one (the sync worker, {@code up}), else a monitor of its own.
 */
@Configuration(proxyBeanMethods = false)
public class DashboardConfiguration {
    static final String ASSETS = "classpath:/io/cistern/ops/dashboard/static/";

    @Bean
    DashboardHistory cisternDashboardHistory(DashboardSource source, ObjectProvider<StatusMonitor> monitors) {
        StatusMonitor monitor = monitors.getIfUnique();
        return monitor != null
                ? DashboardHistory.following(monitor, StatusHistory.defaults())
                : DashboardHistory.watching(source, StatusHistory.defaults());
    }

    @Bean
    DashboardController cisternDashboardController(DashboardSource source, DashboardHistory history) {
        return new DashboardController(source, history);
    }

    @Bean
    WebMvcConfigurer cisternDashboardAssets() {
        return new WebMvcConfigurer() {
            @Override
            public void addResourceHandlers(ResourceHandlerRegistry registry) {
                registry.addResourceHandler("/cistern/dashboard/**").addResourceLocations(ASSETS);
            }
        };
    }
}
