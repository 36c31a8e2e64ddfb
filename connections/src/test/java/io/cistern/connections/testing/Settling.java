package io.cistern.connections.testing;

import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import org.slf4j.Logger;

/** The wait of the fixtures that change a topology: until the servers agree on it and a condition holds. */
final class Settling {
    private Settling() {}

    /**
     * Polls every 100 ms until {@code disagreement} answers "" (the servers agree) and {@code condition} holds; throws
     * after {@code seconds}, with the last disagreement, naming {@code fixture} and {@code what}.
     */
    static void await(
            Logger log,
            String fixture,
            String what,
            int seconds,
            Supplier<String> disagreement,
            BooleanSupplier condition) {
        Instant began = Instant.now();
        Instant deadline = began.plusSeconds(seconds);
        String last = "";
        while (Instant.now().isBefore(deadline)) {
            try {
                last = disagreement.get();
                if (last.isEmpty() && condition.getAsBoolean()) {
                    log.info(
                            "{}: agreed after {} ms",
                            what,
                            Duration.between(began, Instant.now()).toMillis());
                    return;
                }
                if (last.isEmpty()) {
                    last = "the condition does not hold yet";
                }
            } catch (RuntimeException e) {
                last = e.toString();
            }
            LockSupport.parkNanos(Duration.ofMillis(100).toNanos());
        }
        throw new IllegalStateException(fixture + ": " + what + " did not settle within " + seconds + " s: " + last);
    }
}
