package dev.livetune.gateway;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A chat message that asks for a learn job rather than an answer: {@code [Learn]}, {@code [Learn:doc]},
 * {@code [Learn:web]} or {@code [Forget]} at its start (any case), on HTTP and gRPC alike.
 *
 * @param mode the learn request's mode: {@code auto}, {@code doc}, {@code web} or {@code forget}
 * @param text what follows the prefix, stripped
 */
record Trigger(String mode, String text) {

    private static final Pattern PREFIX = Pattern.compile("^\\s*\\[(?:learn(?::(doc|web))?|(forget))\\]\\s*",
            Pattern.CASE_INSENSITIVE);

    /** @return the trigger at the start of {@code message}, or null when it is an ordinary turn */
    static Trigger of(String message) {
        Matcher m = PREFIX.matcher(message);
        if (!m.find()) {
            return null;
        }
        String mode = m.group(2) != null ? "forget" : m.group(1) == null ? "auto" : m.group(1).toLowerCase(Locale.ROOT);
        return new Trigger(mode, message.substring(m.end()).strip());
    }

    boolean forget() {
        return mode.equals("forget");
    }

    /** @throws OpenAiException naming {@code param} when nothing follows the prefix */
    Trigger requireText(String param) {
        if (text.isEmpty()) {
            throw OpenAiException.invalid(param, forget() ? "nothing to forget: write what to forget after [Forget]"
                    : "nothing to learn: write what to learn after [Learn]");
        }
        return this;
    }

    /** @return what the chat answers at once when the job waits for an administrator's approval */
    String pendingReply(String jobId, String alias) {
        return "Waiting for approval (job " + jobId + "): an administrator of this tenant reviews what the '" + alias
                + "' model would learn before it does; follow it at /v1/fine_tuning/jobs/" + jobId + ".";
    }

    /** @return what the chat answers at once */
    String reply(String jobId, String alias) {
        return forget()
                ? "Forgetting started (job " + jobId + "). Once it finishes, the '" + alias
                        + "' model will no longer know this; follow it at /v1/fine_tuning/jobs/" + jobId + "."
                : "Learning started (job " + jobId + "). Once it finishes, the '" + alias
                        + "' model will know this; follow it at /v1/fine_tuning/jobs/" + jobId + ".";
    }
}
