package io.cistern.ops;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.Yaml;

/**
 * The top-level {@code docker-compose.yml} is valid for {@code docker-compose config} (Debian's docker-compose; no
 * Docker engine needed) and keeps its promises: every long-running service has a healthcheck, and each waits for what
 * it needs to be healthy.
 */
class DockerComposeConfigTest {
    private static final Path COMPOSE_FILE = Path.of("..", "docker-compose.yml");
    private static final List<String> SERVICES =
            List.of("redis", "postgres", "init", "writer-api", "sync-worker", "redis-proxy", "prometheus", "grafana");

    @Test
    void composeFile_passesDockerComposeConfig_withHealthchecksAndHealthyDependencies() throws Exception {
        String compose = List.of("/usr/bin/docker-compose", "/usr/local/bin/docker-compose").stream()
                .filter(p -> Files.isExecutable(Path.of(p)))
                .findFirst()
                .orElseThrow(() -> new AssertionError("docker-compose is not installed: the compose file cannot be"
                        + " validated. Install Debian's docker-compose package (apt-get install docker-compose;"
                        + " ops/test does)"));
        Process p = new ProcessBuilder(compose, "--file", COMPOSE_FILE.toString(), "config")
                .redirectErrorStream(false)
                .start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(err).isZero();

        Map<String, Object> config = new Yaml().load(out);
        @SuppressWarnings("unchecked")
        Map<String, Map<String, Object>> services = (Map<String, Map<String, Object>>) config.get("services");
        assertThat(services).containsOnlyKeys(SERVICES);
        services.forEach((name, service) -> {
            if (!name.equals("init")) {
                assertThat(service).as(name + " has a healthcheck").containsKey("healthcheck");
            }
            @SuppressWarnings("unchecked")
            Map<String, Map<String, String>> dependsOn =
                    (Map<String, Map<String, String>>) service.getOrDefault("depends_on", Map.of());
            dependsOn.forEach((dependency, how) -> assertThat(how.get("condition"))
                    .as(name + " waits for " + dependency)
                    .isIn("service_healthy", "service_completed_successfully"));
        });
        assertThat(services.get("redis").get("command").toString())
                .contains("--appendonly")
                .contains("noeviction");
        assertThat(services.get("redis-proxy").get("command").toString()).contains("redis-proxy");
        assertThat(services.get("prometheus").toString()).contains("cistern-rules.yml");
        assertThat(services.get("grafana").toString()).contains("cistern-dashboard.json");
    }
}
