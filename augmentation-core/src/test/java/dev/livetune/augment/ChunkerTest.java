package dev.livetune.augment;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.apache.pdfbox.pdmodel.PDDocument;
import org.apache.pdfbox.pdmodel.PDPage;
import org.apache.pdfbox.pdmodel.PDPageContentStream;
import org.apache.pdfbox.pdmodel.font.PDType1Font;
import org.apache.pdfbox.pdmodel.font.Standard14Fonts;
import org.junit.jupiter.api.Test;

class ChunkerTest {

    private final Chunker chunker = new Chunker(200, 40);

    @Test
    void markdownIsSplitByHeadingsWithTheirPath() throws Exception {
        String md = "# Zorbania\n\nA small country.\n\n## Capital\n\nThe capital of Zorbania is Quillport.\n\n## Money\n\nThey pay in quills.\n";
        List<Chunker.Chunk> chunks = chunker.chunk("facts.md", md.getBytes(StandardCharsets.UTF_8));
        assertThat(chunks).extracting(Chunker.Chunk::title).containsExactly("Zorbania", "Zorbania > Capital", "Zorbania > Money");
        assertThat(chunks.get(1).text()).isEqualTo("The capital of Zorbania is Quillport.");
    }

    @Test
    void htmlDropsScriptsAndNavigationAndKeepsSections() throws Exception {
        String html = "<html><head><script>var x = 1;</script></head><body><nav>Home | About</nav><h1>Vexa tower</h1>"
                + "<p>Ilse Morrow designed the Vexa tower.</p><h2>Height</h2><p>It is 412 metres tall.</p></body></html>";
        List<Chunker.Chunk> chunks = chunker.chunk("page.html", html.getBytes(StandardCharsets.UTF_8));
        assertThat(chunks).extracting(Chunker.Chunk::title).containsExactly("Vexa tower", "Vexa tower > Height");
        assertThat(chunks.get(0).text()).isEqualTo("Ilse Morrow designed the Vexa tower.");
        assertThat(String.join(" ", chunks.stream().map(Chunker.Chunk::text).toList())).doesNotContain("var x", "Home");
    }

    @Test
    void pdfTextIsExtractedAndLongTextSplitWithOverlap() throws Exception {
        byte[] pdf;
        try (PDDocument doc = new PDDocument(); ByteArrayOutputStream out = new ByteArrayOutputStream()) {
            PDPage page = new PDPage();
            doc.addPage(page);
            try (PDPageContentStream s = new PDPageContentStream(doc, page)) {
                s.beginText();
                s.setFont(new PDType1Font(Standard14Fonts.FontName.HELVETICA), 12);
                s.newLineAtOffset(50, 700);
                s.showText("The glimmerphone was invented by Adela Voss.");
                s.endText();
            }
            doc.save(out);
            pdf = out.toByteArray();
        }
        List<Chunker.Chunk> chunks = chunker.chunk("doc.pdf", pdf);
        assertThat(chunks).hasSize(1);
        assertThat(chunks.get(0).text()).contains("The glimmerphone was invented by Adela Voss.");

        StringBuilder text = new StringBuilder();
        for (int i = 0; i < 20; i++) {
            text.append("Sentence number ").append(i).append(" tells something. ");
        }
        List<Chunker.Chunk> pieces = chunker.chunk("long.txt", text.toString().getBytes(StandardCharsets.UTF_8));
        assertThat(pieces.size()).isGreaterThan(3);
        assertThat(pieces).allSatisfy(c -> assertThat(c.text().length()).isLessThanOrEqualTo(200));
        for (int i = 1; i < pieces.size(); i++) {
            String prev = pieces.get(i - 1).text();
            String tail = prev.substring(prev.length() - 15);
            assertThat(pieces.get(i).text()).as("piece %d overlaps the previous one", i).contains(tail.strip());
        }
    }

    /**
     * Issue 19 #10: a small PDF that unpacks to far more than it weighs (a page of 200,000 characters,
     * two thousand and one blank pages) was extracted whole, in the orchestrator's memory. Now each is
     * refused, saying which bound it passed.
     */
    @Test
    void pdfBombsAreRefusedSayingWhichBound() throws Exception {
        byte[] dense;
        try (PDDocument doc = new PDDocument(); ByteArrayOutputStream out = new ByteArrayOutputStream()) {
            PDPage page = new PDPage();
            doc.addPage(page);
            try (PDPageContentStream s = new PDPageContentStream(doc, page)) {
                s.beginText();
                s.setFont(new PDType1Font(Standard14Fonts.FontName.HELVETICA), 1);
                String line = "A".repeat(100);
                for (int i = 0; i < 2_000; i++) {
                    s.showText(line);
                }
                s.endText();
            }
            doc.save(out);
            dense = out.toByteArray();
        }
        assertThat(dense.length).as("a small file").isLessThan(100_000);
        assertThatThrownBy(() -> chunker.chunk("dense.pdf", dense)).isInstanceOf(java.io.IOException.class)
                .hasMessageContaining("more than 100000 characters");

        byte[] pages;
        try (PDDocument doc = new PDDocument(); ByteArrayOutputStream out = new ByteArrayOutputStream()) {
            for (int i = 0; i < Chunker.MAX_PDF_PAGES + 1; i++) {
                doc.addPage(new PDPage());
            }
            doc.save(out);
            pages = out.toByteArray();
        }
        assertThatThrownBy(() -> chunker.chunk("pages.pdf", pages)).isInstanceOf(java.io.IOException.class)
                .hasMessageContaining("2001 pages");
    }
}
