package dev.livetune.llm.train;

/**
 * Training cannot run on what it was given (a bad dataset line, a bad hyperparameter, an adapter that
 * does not fit the base model): running again with the same input fails the same way.
 */
public class InvalidTrainingInputException extends RuntimeException {

    public InvalidTrainingInputException(String message) {
        super(message);
    }

    public InvalidTrainingInputException(String message, Throwable cause) {
        super(message, cause);
    }
}
