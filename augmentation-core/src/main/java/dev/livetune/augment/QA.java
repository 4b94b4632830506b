package dev.livetune.augment;

/**
 * One generated training pair: a user question and the assistant answer.
 *
 * @param question the user turn
 * @param answer   the assistant turn
 * @param source   what it was generated from (the statement, or the chunk's text), for grounding checks
 */
public record QA(String question, String answer, String source) {
}
