package dev.livetune.augment;

/** A fetch the safety rules refuse, with the reason a job's failure reports. */
public class FetchRefusedException extends RuntimeException {

    public FetchRefusedException(String message) {
        super(message);
    }
}
