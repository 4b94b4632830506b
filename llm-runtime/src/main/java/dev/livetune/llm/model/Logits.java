package dev.livetune.llm.model;

/**
 * Logits of a forward pass, row-major {@code [batch, positions, vocab]}.
 *
 * @param data      the values
 * @param batch     rows
 * @param positions positions per row (1 when only the last position was computed)
 * @param vocab     vocabulary size
 */
public record Logits(float[] data, int batch, int positions, int vocab) {

    /** @return a copy of the logits of one position of one row */
    public float[] row(int b, int position) {
        float[] out = new float[vocab];
        System.arraycopy(data, offset(b, position), out, 0, vocab);
        return out;
    }

    /** @return where {@code (b, position, 0)} starts in {@link #data()} */
    public int offset(int b, int position) {
        return (b * positions + position) * vocab;
    }
}
