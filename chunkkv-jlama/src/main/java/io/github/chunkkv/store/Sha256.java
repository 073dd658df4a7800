package io.github.chunkkv.store;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/** Hex SHA-256 digests for store keys. */
final class Sha256 {
    private Sha256() {}

    /** The first {@code hexDigits} (even, at most 64) hex digits of the SHA-256 of {@code bytes}. */
    static String hex(byte[] bytes, int hexDigits) {
        return HexFormat.of().formatHex(digest().digest(bytes), 0, hexDigits / 2);
    }

    static MessageDigest digest() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JVM has SHA-256", e);
        }
    }
}
