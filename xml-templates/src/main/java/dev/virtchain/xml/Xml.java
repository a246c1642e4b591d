package dev.virtchain.xml;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.dataformat.xml.XmlFactory;
import com.fasterxml.jackson.dataformat.xml.XmlMapper;
import java.io.StringReader;
import java.io.StringWriter;
import javax.xml.XMLConstants;
import javax.xml.parsers.DocumentBuilder;
import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.parsers.ParserConfigurationException;
import javax.xml.stream.XMLInputFactory;
import javax.xml.stream.XMLOutputFactory;
import javax.xml.stream.XMLStreamConstants;
import javax.xml.stream.XMLStreamException;
import javax.xml.stream.XMLStreamReader;
import javax.xml.transform.OutputKeys;
import javax.xml.transform.Transformer;
import javax.xml.transform.TransformerException;
import javax.xml.transform.TransformerFactory;
import javax.xml.transform.dom.DOMSource;
import javax.xml.transform.stream.StreamResult;
import org.w3c.dom.Document;
import org.xml.sax.InputSource;
import org.xml.sax.SAXException;

/** The one place that configures XML parsers and writers: no DTDs, no external entities. */
final class Xml {
    private static final XmlMapper MAPPER = createMapper();

    private Xml() {}

    private static XmlMapper createMapper() {
        XMLInputFactory in = XMLInputFactory.newFactory();
        // Libvirt XML never has a DTD; refusing one keeps entity expansion attacks out.
        in.setProperty(XMLInputFactory.SUPPORT_DTD, false);
        in.setProperty(XMLInputFactory.IS_SUPPORTING_EXTERNAL_ENTITIES, false);
        XmlMapper mapper = new XmlMapper(new XmlFactory(in, XMLOutputFactory.newFactory()));
        // Libvirt adds elements with every release; we read only what we model.
        mapper.disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);
        mapper.enable(SerializationFeature.INDENT_OUTPUT);
        mapper.setSerializationInclusion(JsonInclude.Include.NON_NULL);
        return mapper;
    }

    /** Reads {@code xml} into {@code type} after checking that its root element is {@code root}. */
    static <T> T read(String xml, String root, Class<T> type, String document) throws LibvirtXmlException {
        if (xml == null || xml.isBlank()) {
            throw new LibvirtXmlException(document, "empty document");
        }
        try {
            XMLStreamReader reader = MAPPER.getFactory().getXMLInputFactory()
                    .createXMLStreamReader(new StringReader(xml));
            while (reader.hasNext() && reader.getEventType() != XMLStreamConstants.START_ELEMENT) {
                reader.next();
            }
            if (reader.getEventType() != XMLStreamConstants.START_ELEMENT) {
                throw new LibvirtXmlException(document, "no root element");
            }
            if (!root.equals(reader.getLocalName())) {
                throw new LibvirtXmlException(document,
                        "root element is <" + reader.getLocalName() + ">, expected <" + root + ">");
            }
            return MAPPER.readValue(reader, type);
        } catch (JsonMappingException e) {
            // Well-formed XML whose content does not fit our model; Jackson's message names our classes.
            throw new LibvirtXmlException(document, "cannot read " + elements(e)
                    + (e.getLocation() != null ? " (line " + e.getLocation().getLineNr() + ", column "
                    + e.getLocation().getColumnNr() + ")" : ""), e);
        } catch (XMLStreamException | java.io.IOException e) {
            if (e instanceof LibvirtXmlException lx) {
                throw lx;
            }
            throw new LibvirtXmlException(document, "malformed XML: " + oneLine(e.getMessage()), e);
        }
    }

    /** The elements (or attributes) Jackson was in when it failed, as {@code <os><nvram>}. */
    private static String elements(JsonMappingException e) {
        StringBuilder sb = new StringBuilder();
        for (JsonMappingException.Reference r : e.getPath()) {
            if (r.getFieldName() != null) {
                sb.append('<').append(r.getFieldName()).append('>');
            }
        }
        return sb.length() == 0 ? "the document" : sb.toString();
    }

    /** Writes {@code value} as indented XML without a declaration, as libvirt's own APIs take it. */
    static String write(Object value) {
        try {
            return MAPPER.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            // Our DTOs are plain strings and lists: a failure here is a bug, not bad input.
            throw new IllegalStateException("cannot write " + value.getClass().getSimpleName(), e);
        }
    }

    static Document parseDom(String xml, String document) throws LibvirtXmlException {
        if (xml == null || xml.isBlank()) {
            throw new LibvirtXmlException(document, "empty document");
        }
        try {
            // newDefaultInstance: always the JDK's parser, whatever else sits on the class path.
            DocumentBuilderFactory f = DocumentBuilderFactory.newDefaultInstance();
            f.setNamespaceAware(true);
            f.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
            f.setFeature(XMLConstants.FEATURE_SECURE_PROCESSING, true);
            f.setXIncludeAware(false);
            f.setExpandEntityReferences(false);
            DocumentBuilder b = f.newDocumentBuilder();
            b.setErrorHandler(null);
            return b.parse(new InputSource(new StringReader(xml)));
        } catch (SAXException | java.io.IOException e) {
            throw new LibvirtXmlException(document, "malformed XML: " + oneLine(e.getMessage()), e);
        } catch (ParserConfigurationException e) {
            throw new IllegalStateException("the JDK's XML parser lacks a required feature", e);
        }
    }

    /** Serializes a DOM as it is: no added indentation, no XML declaration. */
    static String writeDom(Document doc) {
        try {
            Transformer t = TransformerFactory.newDefaultInstance().newTransformer();
            t.setOutputProperty(OutputKeys.OMIT_XML_DECLARATION, "yes");
            t.setOutputProperty(OutputKeys.INDENT, "no");
            StringWriter out = new StringWriter();
            t.transform(new DOMSource(doc), new StreamResult(out));
            return out.toString();
        } catch (TransformerException e) {
            throw new IllegalStateException("cannot serialize a parsed DOM", e);
        }
    }

    static String oneLine(String message) {
        return message == null ? "(no detail)" : message.replaceAll("\\s+", " ").trim();
    }
}
