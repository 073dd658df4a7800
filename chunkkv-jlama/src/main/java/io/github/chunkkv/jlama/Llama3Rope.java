package io.github.chunkkv.jlama;

/**
 * Llama 3.1+ RoPE scaling ({@code rope_scaling.rope_type: "llama3"}): wavelengths longer than
 * {@code originalMaxPositions / lowFreqFactor} are stretched by {@code factor}, those shorter than
 * {@code originalMaxPositions / highFreqFactor} are kept, and the band between is interpolated. Jlama 0.8.4 ignores
 * this setting (it applies only linear scaling), so stock Jlama runs Llama 3.x with the wrong frequencies.
 */
record Llama3Rope(double theta, double factor, double lowFreqFactor, double highFreqFactor, int originalMaxPositions) {
    Llama3Rope {
        if (!(theta > 0) || !(factor >= 1) || !(lowFreqFactor > 0) || !(highFreqFactor > lowFreqFactor) || originalMaxPositions < 1) {
            throw new IllegalArgumentException("llama3 rope_scaling needs rope_theta > 0, factor >= 1, 0 < low_freq_factor < "
                    + "high_freq_factor and original_max_position_embeddings >= 1, got theta " + theta + ", factor " + factor
                    + ", low_freq_factor " + lowFreqFactor + ", high_freq_factor " + highFreqFactor
                    + ", original_max_position_embeddings " + originalMaxPositions);
        }
    }

    /** The scaled inverse frequency of each of the {@code headSize / 2} rotated pairs. */
    double[] inverseFrequencies(int headSize) {
        double lowFreqWavelength = originalMaxPositions / lowFreqFactor;
        double highFreqWavelength = originalMaxPositions / highFreqFactor;
        double[] inv = new double[headSize / 2];
        for (int i = 0; i < inv.length; i++) {
            double f = 1.0 / Math.pow(theta, 2.0 * i / headSize);
            double wavelength = 2 * Math.PI / f;
            if (wavelength > lowFreqWavelength) {
                inv[i] = f / factor;
            } else if (wavelength < highFreqWavelength) {
                inv[i] = f;
            } else {
                double smooth = (originalMaxPositions / wavelength - lowFreqFactor) / (highFreqFactor - lowFreqFactor);
                inv[i] = (1 - smooth) * f / factor + smooth * f;
            }
        }
        return inv;
    }
}
