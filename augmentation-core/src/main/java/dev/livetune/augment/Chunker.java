package dev.livetune.augment;

import java.io.IOException;
import java.io.StringWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.apache.pdfbox.Loader;
import org.apache.pdfbox.contentstream.operator.Operator;
import org.apache.pdfbox.cos.COSBase;
import org.apache.pdfbox.io.MemoryUsageSetting;
import org.apache.pdfbox.pdmodel.PDDocument;
import org.apache.pdfbox.pdmodel.PDPage;
import org.apache.pdfbox.text.PDFTextStripper;
import org.apache.pdfbox.text.TextPosition;
import org.jsoup.Jsoup;
import org.jsoup.nodes.Document;
import org.jsoup.nodes.Element;

/**
 * Splits a document into chunks for instruction backtranslation, by its structure first: Markdown
 * and HTML by headings (each chunk keeps its heading path as a title), plain text and PDF by
 * paragraphs. Sections longer than {@code maxChars} are cut at sentence ends, and consecutive
 * pieces of one section share {@code overlapChars} of text.
 */
public final class Chunker {

    /** A piece of a document. */
    public record Chunk(String title, String text, int index) {
    }

    private final int maxChars;
    private final int overlapChars;

    public Chunker(int maxChars, int overlapChars) {
        if (overlapChars >= maxChars) {
            throw new IllegalArgumentException("overlap must be smaller than the chunk size");
        }
        this.maxChars = maxChars;
        this.overlapChars = overlapChars;
    }

    /**
     * @param filename decides the format by its extension (txt, md, markdown, html, htm, pdf)
     * @throws IOException for an unreadable PDF
     */
    public List<Chunk> chunk(String filename, byte[] content) throws IOException {
        String ext = filename.contains(".") ? filename.substring(filename.lastIndexOf('.') + 1).toLowerCase(Locale.ROOT) : "";
        List<String[]> sections = switch (ext) {
            case "md", "markdown" -> markdown(new String(content, StandardCharsets.UTF_8));
            case "html", "htm" -> html(new String(content, StandardCharsets.UTF_8));
            case "pdf" -> paragraphs(pdf(content), "");
            default -> paragraphs(new String(content, StandardCharsets.UTF_8), "");
        };
        List<Chunk> out = new ArrayList<>();
        for (String[] s : sections) {
            for (String piece : split(s[1].strip())) {
                if (!piece.isBlank()) {
                    out.add(new Chunk(s[0], piece, out.size()));
                }
            }
        }
        return out;
    }

    private static List<String[]> markdown(String text) {
        List<String[]> out = new ArrayList<>();
        List<String> path = new ArrayList<>();
        StringBuilder body = new StringBuilder();
        for (String line : text.split("\\R")) {
            java.util.regex.Matcher m = java.util.regex.Pattern.compile("^(#{1,6})\\s+(.*)$").matcher(line);
            if (m.matches()) {
                flush(out, path, body);
                int level = m.group(1).length();
                while (path.size() >= level) {
                    path.remove(path.size() - 1);
                }
                while (path.size() < level - 1) {
                    path.add("");
                }
                path.add(m.group(2).strip());
            } else {
                body.append(line).append('\n');
            }
        }
        flush(out, path, body);
        return out;
    }

    private static List<String[]> html(String text) {
        Document doc = Jsoup.parse(text);
        doc.select("script, style, nav, footer, header, noscript").remove();
        List<String[]> out = new ArrayList<>();
        List<String> path = new ArrayList<>();
        StringBuilder body = new StringBuilder();
        for (Element e : doc.body().select("h1, h2, h3, h4, h5, h6, p, li, pre, blockquote, td")) {
            if (e.tagName().matches("h[1-6]")) {
                flush(out, path, body);
                int level = e.tagName().charAt(1) - '0';
                while (path.size() >= level) {
                    path.remove(path.size() - 1);
                }
                while (path.size() < level - 1) {
                    path.add("");
                }
                path.add(e.text().strip());
            } else if (e.parents().stream().noneMatch(p -> p.tagName().equals("li") || p.tagName().equals("blockquote"))) {
                body.append(e.text()).append("\n\n");
            }
        }
        flush(out, path, body);
        return out;
    }

    private static void flush(List<String[]> out, List<String> path, StringBuilder body) {
        if (!body.toString().isBlank()) {
            out.add(new String[] {String.join(" > ", path.stream().filter(p -> !p.isEmpty()).toList()), body.toString()});
        }
        body.setLength(0);
    }

    /**
     * The text of a PDF, within bounds: a small file can unpack to gigabytes (a PDF bomb: compressed
     * streams, a million pages), so pages, content-stream operators and extracted characters are
     * capped, and what the parser buffers stays under {@link #PDF_MEMORY} in memory.
     *
     * @throws IOException for an unreadable PDF or one past a bound, saying which
     */
    private static String pdf(byte[] content) throws IOException {
        try (PDDocument doc = Loader.loadPDF(content, null, null, null,
                MemoryUsageSetting.setupMixed(PDF_MEMORY, PDF_SCRATCH).streamCache)) {
            if (doc.getNumberOfPages() > MAX_PDF_PAGES) {
                throw new IOException("the PDF has " + doc.getNumberOfPages() + " pages; at most " + MAX_PDF_PAGES
                        + " are learned from");
            }
            StringWriter text = new StringWriter();
            try {
                new BoundedTextStripper().writeText(doc, new Writer() {
                @Override
                public void write(char[] chars, int off, int len) throws IOException {
                    if (text.getBuffer().length() + len > MAX_PDF_CHARS) {
                        throw new PastBound("the PDF's text is longer than " + MAX_PDF_CHARS + " characters");
                    }
                    text.write(chars, off, len);
                }

                @Override
                public void flush() {
                }

                @Override
                public void close() {
                }
                });
            } catch (PastBound e) {
                throw new IOException(e.getMessage());
            }
            return text.toString();
        }
    }

    /** Most pages of a PDF learned from. */
    static final int MAX_PDF_PAGES = 2_000;
    /** Most characters of text a PDF may yield. */
    static final int MAX_PDF_CHARS = 4_000_000;
    /** Most characters on one page: the extractor holds a page's characters (a few hundred bytes each) at once. */
    static final int MAX_PDF_PAGE_CHARS = 100_000;
    /** Most content-stream operators read from a PDF's pages, text or not. */
    static final long MAX_PDF_OPERATORS = 20_000_000;
    private static final long PDF_MEMORY = 32L << 20;
    private static final long PDF_SCRATCH = 256L << 20;

    /**
     * Stops a text extraction past {@link #MAX_PDF_OPERATORS} (pages of drawing take as long as text)
     * or {@link #MAX_PDF_PAGE_CHARS} on a page.
     */
    private static final class BoundedTextStripper extends PDFTextStripper {
        private long operators;
        private int pageChars;

        @Override
        protected void processOperator(Operator operator, List<COSBase> operands) throws IOException {
            if (++operators > MAX_PDF_OPERATORS) {
                throw new PastBound("the PDF has more than " + MAX_PDF_OPERATORS + " drawing operations");
            }
            super.processOperator(operator, operands);
        }

        @Override
        protected void startPage(PDPage page) throws IOException {
            pageChars = 0;
            super.startPage(page);
        }

        @Override
        protected void processTextPosition(TextPosition text) {
            if (++pageChars > MAX_PDF_PAGE_CHARS) {
                throw new PastBound("a page of the PDF has more than " + MAX_PDF_PAGE_CHARS + " characters");
            }
            super.processTextPosition(text);
        }
    }

    /** A PDF past one of the bounds, thrown from inside the extractor. */
    private static final class PastBound extends RuntimeException {
        PastBound(String message) {
            super(message);
        }
    }

    private static List<String[]> paragraphs(String text, String title) {
        List<String[]> out = new ArrayList<>();
        out.add(new String[] {title, text});
        return out;
    }

    /** Cuts a section into pieces of at most maxChars at paragraph or sentence ends, with overlap. */
    private List<String> split(String text) {
        List<String> out = new ArrayList<>();
        if (text.length() <= maxChars) {
            out.add(text);
            return out;
        }
        int start = 0;
        while (start < text.length()) {
            int end = Math.min(text.length(), start + maxChars);
            if (end < text.length()) {
                int cut = Math.max(text.lastIndexOf("\n\n", end), Math.max(text.lastIndexOf(". ", end), text.lastIndexOf("\n", end)));
                if (cut > start + maxChars / 2) {
                    end = cut + 1;
                }
            }
            out.add(text.substring(start, end).strip());
            if (end >= text.length()) {
                break;
            }
            start = Math.max(end - overlapChars, start + 1);
        }
        return out;
    }
}
