package io.cistern.writer;

import io.cistern.schema.failure.CisternException;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The outcome of a pipelined batch. Each write of a batch is atomic on its own; under backpressure or when Redis goes
 * away mid-batch, some writes may be accepted and others refused. Accepted writes are durable like any other.
 *
 * @param receipts one slot per write, in batch order: the receipt, or empty where the write failed
 * @param failures the failed writes by their index in the batch
 */
public record BatchReceipt(List<Optional<WriteReceipt>> receipts, Map<Integer, CisternException> failures) {
    public BatchReceipt {
        receipts = List.copyOf(receipts);
        failures = Collections.unmodifiableMap(new TreeMap<>(failures));
    }

    public boolean allSucceeded() {
        return failures.isEmpty();
    }

    /**
     * The receipts, when every write succeeded.
     *
     * @throws CisternException the first failure (the others are attached as suppressed exceptions)
     */
    public List<WriteReceipt> orThrow() {
        if (!failures.isEmpty()) {
            CisternException first = null;
            for (CisternException e : failures.values()) {
                if (first == null) {
                    first = e;
                } else if (first != e) {
                    first.addSuppressed(e);
                }
            }
            throw first;
        }
        return receipts.stream().map(Optional::orElseThrow).toList();
    }
}
