package dev.livetune.augment;

import java.io.IOException;
import java.net.URI;
import java.util.List;

/** Web search for search augmentation; {@link SearxngSearch} is the implementation. */
public interface SearchProvider {

    /** @return up to {@code n} result URLs, best first */
    List<URI> search(String query, int n) throws IOException, InterruptedException;
}
