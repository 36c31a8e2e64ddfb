package io.cistern.ops.dashboard;

import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.web.servlet.config.annotation.ResourceHandlerRegistry;
import org.springframework.web.servlet.config.annotation.WebMvcConfigurer;

/**
 * The operator dashboard as a Spring configuration: import it into a service that has a {@link DashboardSource} bean.
 * It serves the page at {@code /}, its script and style under {@code /cistern/dashboard/}, and the JSON it polls at
 * {@code /cistern/status} and {@code /cistern/activity}.
 */
@Configuration(proxyBeanMethods = false)
public class DashboardConfiguration {
    static final String ASSETS = "classpath:/io/cistern/ops/dashboard/static/";

    @Bean
    DashboardController cisternDashboardController(DashboardSource source) {
        return new DashboardController(source);
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
