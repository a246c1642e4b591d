package dev.virtchain.xml;

import static org.junit.jupiter.api.Assertions.fail;

import com.thaiopensource.util.PropertyMapBuilder;
import com.thaiopensource.validate.ValidateProperty;
import com.thaiopensource.validate.ValidationDriver;
import java.io.IOException;
import java.io.StringReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.xml.sax.ErrorHandler;
import org.xml.sax.InputSource;
import org.xml.sax.SAXException;
import org.xml.sax.SAXParseException;

/**
 * Validates XML against libvirt's own RELAX NG schemas with Jing. The schemas come with the
 * Debian package {@code libvirt0} (which {@code libvirt-clients} and {@code libvirt-daemon} pull
 * in); {@code scripts/test} installs it. Without them the tests fail, they never skip.
 */
final class LibvirtSchemas {
    static final Path DIR = Path.of(System.getProperty("virtchain.libvirt.schemas", "/usr/share/libvirt/schemas"));
    private static final Map<String, ValidationDriver> DRIVERS = new HashMap<>();
    private static final List<String> ERRORS = new ArrayList<>();

    private LibvirtSchemas() {}

    /** Fails the test with every schema error, line by line, unless {@code xml} is valid. */
    static void assertValid(String schema, String xml) {
        List<String> errors = validate(schema, xml);
        if (!errors.isEmpty()) {
            fail("not valid against libvirt's " + schema + ":\n  " + String.join("\n  ", errors) + "\n" + xml);
        }
    }

    /** The schema errors of {@code xml}, empty when it is valid. */
    static synchronized List<String> validate(String schema, String xml) {
        ValidationDriver driver = driver(schema);
        ERRORS.clear();
        try {
            driver.validate(new InputSource(new StringReader(xml)));
        } catch (SAXException | IOException e) {
            ERRORS.add(e.getMessage());
        }
        return List.copyOf(ERRORS);
    }

    private static ValidationDriver driver(String schema) {
        ValidationDriver cached = DRIVERS.get(schema);
        if (cached != null) {
            return cached;
        }
        Path file = DIR.resolve(schema);
        if (!Files.isRegularFile(file)) {
            fail("libvirt's RELAX NG schema " + file + " is missing: install the Debian package libvirt0"
                    + " (apt-get install libvirt0; scripts/test does), or point -Dvirtchain.libvirt.schemas"
                    + " at a directory holding libvirt's schemas");
        }
        PropertyMapBuilder props = new PropertyMapBuilder();
        props.put(ValidateProperty.ERROR_HANDLER, new Collector());
        ValidationDriver driver = new ValidationDriver(props.toPropertyMap());
        ERRORS.clear();
        try {
            if (!driver.loadSchema(ValidationDriver.fileInputSource(file.toFile()))) {
                fail("Jing cannot load " + file + ": " + ERRORS);
            }
        } catch (SAXException | IOException e) {
            fail("Jing cannot load " + file + ": " + e.getMessage());
        }
        DRIVERS.put(schema, driver);
        return driver;
    }

    private static final class Collector implements ErrorHandler {
        @Override
        public void warning(SAXParseException e) {}

        @Override
        public void error(SAXParseException e) {
            ERRORS.add("line " + e.getLineNumber() + ":" + e.getColumnNumber() + ": " + e.getMessage());
        }

        @Override
        public void fatalError(SAXParseException e) {
            error(e);
        }
    }
}
