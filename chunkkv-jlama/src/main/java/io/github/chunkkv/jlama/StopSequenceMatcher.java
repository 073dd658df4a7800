package io.github.chunkkv.jlama;

import java.util.List;

/**
 * Watches generated text for stop sequences. Text is released only once it can no longer turn into a stop sequence,
 * so a streamed reply never shows the start of a stop sequence that the final reply then cuts off.
 */
final class StopSequenceMatcher {
    private final List<String> stops;
    private final StringBuilder text = new StringBuilder();
    private int released;
    private boolean stopped;

    StopSequenceMatcher(List<String> stops) {
        this.stops = stops;
    }

    /** Adds a decoded piece; returns the text that became final (possibly empty). */
    String append(String piece) {
        if (stopped) throw new IllegalStateException("a stop sequence was already found");
        text.append(piece);
        int stopAt = firstStop();
        if (stopAt >= 0) {
            stopped = true;
            text.setLength(stopAt);
            return release(stopAt);
        }
        return release(text.length() - heldBack());
    }

    boolean stopped() {
        return stopped;
    }

    /** Releases what was held back (generation ended without a stop sequence). */
    String flush() {
        return release(text.length());
    }

    /** The reply so far, without a stop sequence and what follows it. */
    String text() {
        return text.toString();
    }

    private String release(int upTo) {
        String out = upTo > released ? text.substring(released, upTo) : "";
        released = Math.max(released, upTo);
        return out;
    }

    /** Earliest index where a stop sequence starts; released text cannot start one (it was not held back). */
    private int firstStop() {
        int first = -1;
        for (String s : stops) {
            int at = text.indexOf(s, Math.max(0, released - s.length() + 1));
            if (at >= 0 && (first < 0 || at < first)) first = at;
        }
        return first;
    }

    /** Length of the longest suffix of the text that is a proper prefix of some stop sequence. */
    private int heldBack() {
        int longest = 0;
        for (String s : stops) {
            for (int len = Math.min(s.length() - 1, text.length() - released); len > longest; len--) {
                if (endsWithPrefixOf(s, len)) {
                    longest = len;
                    break;
                }
            }
        }
        return longest;
    }

    private boolean endsWithPrefixOf(String stop, int len) {
        int start = text.length() - len;
        for (int i = 0; i < len; i++) {
            if (text.charAt(start + i) != stop.charAt(i)) return false;
        }
        return true;
    }
}
