package dev.virtchain.qcow2;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** The one way a name from an image or a user is printed for a person. */
class NamesTest {
    @Test
    void printableNamesStayAsTheyAre() {
        assertEquals("vda.0003.inc.qcow2", Names.escape("vda.0003.inc.qcow2"));
        assertEquals("Sicherung für März ✓.qcow2", Names.escape("Sicherung für März ✓.qcow2"));
    }

    @Test
    void controlCharactersAndBackslashAreEscaped() {
        assertEquals("a\\nb\\0c\\td\\re\\\\f", Names.escape("a\nb\0c\td\re\\f"));
        assertEquals("\\x1b[2J\\x7f\\x9b", Names.escape("\u001b[2J\u007f\u009b"));
    }

    @Test
    void aQuotedNameIsEscapedInsideTheQuotes() {
        assertEquals("'x\\ny'", Names.quote("x\ny"));
    }

    @Test
    void oneLineEscapesControlCharactersButLeavesEscapedNamesAlone() {
        assertEquals("f: backing file 'x\\ny' is gone\\n", Names.oneLine("f: backing file 'x\\ny' is gone\n"));
    }

    @Test
    void anImageExceptionEscapesItsFileAndKeepsItAsGiven() {
        ImageException e = new ImageException("a\nb.qcow2", "no such file");
        assertEquals("a\\nb.qcow2: no such file", e.getMessage());
        assertEquals("a\nb.qcow2", e.file());
        assertEquals("no such file", e.problem());
    }
}
