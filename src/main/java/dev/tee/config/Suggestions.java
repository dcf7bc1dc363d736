package dev.tee.config;

import java.util.Collection;
import java.util.Comparator;
import java.util.Optional;

/** "Did you mean" hints: the known name nearest to a misspelt one by edit distance. */
public final class Suggestions {

    private Suggestions() {
    }

    /**
     * The candidate nearest to {@code name}, if it is near enough to be a plausible typo. A dotted
     * candidate is also compared without its leading parts, so a key written without its table
     * ("fluentd.url", "[fluentd] url") still finds "forward.fluentd.url".
     */
    public static Optional<String> closest(String name, Collection<String> candidates) {
        // A third of the name's length still catches doubled or dropped letters and swapped
        // separators in long dotted keys without suggesting unrelated short ones.
        int limit = Math.max(2, name.length() / 3);
        return candidates.stream()
                .filter(c -> score(name, c) <= limit)
                .min(Comparator.comparingInt((String c) -> score(name, c))
                        .thenComparingInt(String::length)
                        .thenComparing(Comparator.naturalOrder()));
    }

    private static int score(String name, String candidate) {
        int best = distance(name, candidate);
        for (int dot = candidate.indexOf('.'); dot >= 0; dot = candidate.indexOf('.', dot + 1)) {
            best = Math.min(best, distance(name, candidate.substring(dot + 1)));
        }
        return best;
    }

    /** Levenshtein distance: insertions, deletions and substitutions of one character each. */
    static int distance(String a, String b) {
        int[] previous = new int[b.length() + 1];
        int[] current = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            previous[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            current[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int substitution = previous[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
                current[j] = Math.min(substitution, Math.min(previous[j], current[j - 1]) + 1);
            }
            int[] swap = previous;
            previous = current;
            current = swap;
        }
        return previous[b.length()];
    }
}
