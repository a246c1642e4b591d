package dev.virtchain.qcow2.format;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;

/** The header's field table against qcow2.txt: the reader, the encoder and in-place updates all use it. */
class HeaderFieldTest {
    @Test
    void fieldsLieEndToEndInTheSpecsOrder() {
        int at = 0;
        for (HeaderField f : HeaderField.values()) {
            assertEquals(at, f.offset, f + " starts where the field before it ends");
            assertTrue(f.width == 1 || f.width == 4 || f.width == 8, f + " is 1, 4 or 8 bytes");
            at = f.end();
        }
        assertEquals(105, at, "the compression type byte is the last field");
    }

    @Test
    void theHeaderLengthsAreTheSpecs() {
        assertEquals(72, Qcow2Header.V2_HEADER_LENGTH);
        assertEquals(104, Qcow2Header.V3_MIN_HEADER_LENGTH);
        assertEquals(112, Qcow2Header.V3_HEADER_LENGTH);
        assertEquals(112, Qcow2Header.PROBE_LENGTH);
    }

    @Test
    void aFieldNamesItselfAsTheSpecDoes() {
        assertEquals("l1_table_offset", HeaderField.L1_TABLE_OFFSET.toString());
        assertEquals("nb_snapshots", HeaderField.NB_SNAPSHOTS.toString());
    }

    @Test
    void aFieldWrittenReadsBackAndLeavesItsNeighboursAlone() {
        for (HeaderField f : HeaderField.values()) {
            ByteBuffer b = ByteBuffer.allocate(Qcow2Header.V3_HEADER_LENGTH);
            long value = f.width == 1 ? 0xab : f.width == 4 ? 0xdeadbeefL : 0x0123456789abcdefL;
            f.put(b, value);
            assertEquals(f.width == 4 ? (int) value : value, f.get(b), f.toString());
            for (int i = 0; i < b.capacity(); i++) {
                if (i < f.offset || i >= f.end()) {
                    assertEquals(0, b.get(i), f + " wrote byte " + i);
                }
            }
        }
    }
}
