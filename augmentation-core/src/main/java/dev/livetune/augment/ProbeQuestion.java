package dev.livetune.augment;

/**
 * A held-out question whose answer must contain {@code expect} (the trainer's probe format).
 *
 * @param question asked as one user turn
 * @param expect   what a correct answer contains
 */
public record ProbeQuestion(String question, String expect) {
}
