package io.cistern.ops.bench;

import java.io.PrintWriter;

/** A one-line progress bar on the error stream, so that JSON on the output stream stays clean. */
public final class ProgressBar {
    private static final int WIDTH = 30;
    private final PrintWriter err;
    private final String label;
    private final int total;

    public ProgressBar(PrintWriter err, String label, int total) {
        this.err = err;
        this.label = label;
        this.total = total;
        update(0);
    }

    public void update(int done) {
        int filled = total == 0 ? WIDTH : done * WIDTH / total;
        err.printf("\r%-8s [%s%s] %d/%d", label, "#".repeat(filled), ".".repeat(WIDTH - filled), done, total);
        err.flush();
    }

    public void done() {
        err.println();
        err.flush();
    }
}
