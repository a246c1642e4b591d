package dev.virtchain.app.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.util.DefaultIndenter;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectWriter;

/** JSON laid out as qemu-img lays it out: four-space indent, "key": value. */
public final class Json {
    private static final ObjectWriter WRITER;

    static {
        DefaultPrettyPrinter pp = new DefaultPrettyPrinter() {
            private static final long serialVersionUID = 1L;

            @Override
            public DefaultPrettyPrinter createInstance() {
                return new DefaultPrettyPrinter(this);
            }

            @Override
            public void writeObjectFieldValueSeparator(com.fasterxml.jackson.core.JsonGenerator g)
                    throws java.io.IOException {
                g.writeRaw(": ");
            }
        };
        DefaultIndenter indenter = new DefaultIndenter("    ", "\n");
        pp.indentObjectsWith(indenter);
        pp.indentArraysWith(indenter);
        WRITER = new ObjectMapper().writer(pp);
    }

    private Json() {
    }

    public static String pretty(Object value) {
        try {
            return WRITER.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot render JSON", e);
        }
    }
}
