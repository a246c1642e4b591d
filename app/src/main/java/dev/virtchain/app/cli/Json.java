package dev.virtchain.app.cli;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.util.DefaultIndenter;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import com.fasterxml.jackson.core.util.Separators;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectWriter;
import java.io.IOException;

/** JSON laid out byte for byte as qemu-img lays it out: four-space indent, {@code "key": value}. */
public final class Json {
    private static final ObjectWriter WRITER = new ObjectMapper().writer(new QemuPrinter());

    private Json() {
    }

    public static String pretty(Object value) {
        try {
            return WRITER.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot render JSON", e);
        }
    }

    /** qemu's layout; an empty array still gets its closing bracket on a line of its own. */
    private static final class QemuPrinter extends DefaultPrettyPrinter {
        private static final long serialVersionUID = 1L;
        private static final DefaultIndenter INDENTER = new DefaultIndenter("    ", "\n");

        QemuPrinter() {
            super(Separators.createDefaultInstance().withObjectFieldValueSpacing(Separators.Spacing.AFTER));
            _objectIndenter = INDENTER;
            _arrayIndenter = INDENTER;
        }

        @Override
        public DefaultPrettyPrinter createInstance() {
            return new QemuPrinter();
        }

        @Override
        public void writeEndArray(JsonGenerator g, int nrOfValues) throws IOException {
            if (nrOfValues == 0) {
                _nesting--;
                _arrayIndenter.writeIndentation(g, _nesting);
                g.writeRaw(']');
            } else {
                super.writeEndArray(g, nrOfValues);
            }
        }
    }
}
