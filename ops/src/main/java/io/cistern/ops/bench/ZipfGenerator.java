package io.cistern.ops.bench;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Draws key indices {@code 0 .. n-1} from a Zipf distribution: index {@code i} comes up with probability proportional to
 * {@code 1 / (i + 1)^s}, so index 0 is the hottest key. An exponent of 0 is uniform; about 1 is the skew of web and cache
 * workloads (YCSB uses 0.99). Seeded, so two loops given the same seed read the same key sequence: that is how a
 * scenario and its baseline read the very same mix. Sampling is a binary search of the precomputed cumulative
 * distribution ({@code 8n} bytes). Not thread-safe: one generator per thread.
 */
final class ZipfGenerator {
    private final double[] cdf;
    private final SplittableRandom random;

    ZipfGenerator(int n, double exponent, long seed) {
        if (n < 1) {
            throw new IllegalArgumentException("a Zipf key space needs at least one key, was " + n);
        }
        if (!(exponent >= 0) || Double.isInfinite(exponent)) {
            throw new IllegalArgumentException("the Zipf exponent must be 0 or more, was " + exponent);
        }
        cdf = new double[n];
        double sum = 0;
        for (int i = 0; i < n; i++) {
            sum += 1 / Math.pow(i + 1, exponent);
            cdf[i] = sum;
        }
        for (int i = 0; i < n; i++) {
            cdf[i] /= sum;
        }
        cdf[n - 1] = 1.0;
        random = new SplittableRandom(seed);
    }

    /** The next key index. */
    int next() {
        double u = random.nextDouble();
        int i = Arrays.binarySearch(cdf, u);
        // binarySearch returns -(insertion point) - 1 when u is not an exact element: the first cdf[i] above u.
        return i >= 0 ? i : -i - 1;
    }

    /** The probability of {@code index}. */
    double probability(int index) {
        return index == 0 ? cdf[0] : cdf[index] - cdf[index - 1];
    }

    /** The share of draws that fall on the {@code hottest} most probable keys. */
    double shareOfHottest(int hottest) {
        return hottest <= 0 ? 0 : cdf[Math.min(hottest, cdf.length) - 1];
    }

    int size() {
        return cdf.length;
    }
}
