package io.github.chunkkv.jlama;

import com.github.tjake.jlama.safetensors.tokenizer.Tokenizer;
import io.github.chunkkv.jlama.GenerationResult.StopReason;
import java.util.BitSet;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CancellationException;
import java.util.random.RandomGenerator;

/**
 * The generation loop, the only one: prefill a session's new tokens, then sample, check whether to stop, decode, one
 * token at a time. A generation ends at the first of: an end-of-sequence token of the model (not counted, not in the
 * reply), a stop sequence in the reply, the token limit, a full context, the time limit, an interrupt of the generating
 * thread.
 * Special tokens are counted but kept out of the reply text. The last sampled token is never fed back: the caller
 * decides whether the conversation goes on with it. One instance runs one generation.
 *
 * <p>Interruption: a thread interrupted before or during the prefill gets a {@link java.util.concurrent.CancellationException}
 * and the session is as before; one interrupted while decoding ends with {@link StopReason#INTERRUPTED} and the reply so
 * far, at the position it reached. Either way the interrupt status stays set for the caller to see, and the session
 * stays usable.
 */
final class GenerationLoop {
    private final KvSession session;
    private final GenerationOptions options;
    private final TextListener listener;
    private final Tokenizer tokenizer;
    private final List<Integer> endOfSequence;
    private final int maxPositions;
    private final RandomGenerator random;

    private final StopSequenceMatcher reply;
    private final BitSet sessionTokens = new BitSet();
    private final StringBuilder withSpecialTokens = new StringBuilder();
    private int generated;
    private long decodeStart;
    private long deadline;

    GenerationLoop(KvSession session, GenerationOptions options, TextListener listener, Tokenizer tokenizer,
            List<Integer> endOfSequence, int maxPositions, RandomGenerator random) {
        this.session = session;
        this.options = options;
        this.listener = listener;
        this.tokenizer = tokenizer;
        this.endOfSequence = endOfSequence;
        this.maxPositions = maxPositions;
        this.random = options.sampling().seed().isPresent() ? new Random(options.sampling().seed().getAsLong()) : random;
        this.reply = new StopSequenceMatcher(options.stopSequences());
    }

    /** Prefills {@code newTokens}, then generates. */
    GenerationResult run(int[] newTokens) {
        long start = startClock();
        return generateFrom(session.prefill(newTokens), newTokens.length, start);
    }

    /** Generates from the logits of the session's last token, which the caller had kept: nothing is prefilled. */
    GenerationResult runFrom(float[] logits) {
        return generateFrom(logits, 0, startClock());
    }

    private long startClock() {
        long start = System.nanoTime();
        if (options.timeLimit() != null) deadline = start + options.timeLimit().toNanos();
        return start;
    }

    private GenerationResult generateFrom(float[] logits, int promptTokens, long start) {
        long prefillNanos = System.nanoTime() - start;
        for (int token : session.tokens()) sessionTokens.set(token); // what the repetition penalty applies to
        decodeStart = System.nanoTime();
        int next;
        StopReason reason;
        while (true) {
            next = Sampler.sample(logits, options.sampling(), sessionTokens, random);
            sessionTokens.set(next);
            reason = accept(next);
            if (reason != null) break;
            try {
                logits = session.decode(next);
            } catch (CancellationException interruptedWhileWaiting) { // nothing decoded: the session is where it was
                reason = StopReason.INTERRUPTED;
                break;
            }
        }
        emit(reply.flush());
        return new GenerationResult(reply.text(), withSpecialTokens.toString(), reason, promptTokens, generated, next,
                session.lastStats(), session.kvAllocatedBytes(), prefillNanos, System.nanoTime() - decodeStart);
    }

    /**
     * Takes a sampled token into the reply; returns why the generation ends with it, or null to go on. Every reason to
     * stop is one check here, so a new one (a cancellation) is one more line.
     */
    private StopReason accept(int token) {
        if (endOfSequence.contains(token)) return StopReason.END_OF_SEQUENCE;
        generated++;
        String piece = tokenizer.decode(token);
        withSpecialTokens.append(piece);
        if (!tokenizer.getModel().isSpecialToken(token)) {
            emit(reply.append(piece));
            if (reply.stopped()) return StopReason.STOP_SEQUENCE;
        }
        if (generated >= options.maxTokens()) return StopReason.MAX_TOKENS;
        if (session.position() >= maxPositions) return StopReason.CONTEXT_FULL;
        if (options.timeLimit() != null && System.nanoTime() - deadline >= 0) return StopReason.TIME_LIMIT;
        if (Thread.currentThread().isInterrupted()) return StopReason.INTERRUPTED;
        return null;
    }

    private void emit(String text) {
        if (!text.isEmpty()) listener.onText(text, generated, System.nanoTime() - decodeStart);
    }
}
