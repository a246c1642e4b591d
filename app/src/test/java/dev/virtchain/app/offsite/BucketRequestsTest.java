package dev.virtchain.app.offsite;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import com.sun.net.httpserver.Headers;
import com.sun.net.httpserver.HttpServer;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Random;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * How an upload's body goes on the wire over plain http. What a real server does with it is
 * tested against Ceph's RGW (the {@code Offsite*IT} tests); this looks at the request itself,
 * which only a listener of our own can see.
 */
class BucketRequestsTest {
    private record Received(String method, String path, Headers headers, byte[] body) {
    }

    private HttpServer server;
    private final AtomicReference<Received> received = new AtomicReference<>();

    @BeforeEach
    void listen() throws Exception {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", ex -> {
            byte[] body = ex.getRequestBody().readAllBytes();
            received.set(new Received(ex.getRequestMethod(), ex.getRequestURI().getPath(), ex.getRequestHeaders(), body));
            try {
                String md5 = HexFormat.of().formatHex(MessageDigest.getInstance("MD5").digest(body));
                ex.getResponseHeaders().add("ETag", "\"" + md5 + "\"");
            } catch (java.security.NoSuchAlgorithmException e) {
                throw new IllegalStateException(e);
            }
            ex.sendResponseHeaders(200, -1);
            ex.close();
        });
        server.start();
        System.setProperty("aws.accessKeyId", "test-key");
        System.setProperty("aws.secretAccessKey", "test-secret");
    }

    @AfterEach
    void stop() {
        server.stop(0);
        System.clearProperty("aws.accessKeyId");
        System.clearProperty("aws.secretAccessKey");
    }

    @Test
    void a_part_goes_over_http_as_its_plain_bytes_signed_whole_not_in_aws_chunks() throws Exception {
        byte[] buffer = new byte[600 << 10];
        new Random(15).nextBytes(buffer);
        int length = 500 << 10; // a part shorter than its pooled buffer, as a file's last part is
        byte[] part = Arrays.copyOf(buffer, length);
        String endpoint = "http://127.0.0.1:" + server.getAddress().getPort();
        try (Bucket bucket = Bucket.open(S3Location.parse("s3://bucket/set"), new RemoteOptions(endpoint, null))) {
            String md5 = Base64.getEncoder().encodeToString(MessageDigest.getInstance("MD5").digest(part));
            String etag = bucket.uploadPart("vda.0000.full.qcow2", "upload-1", 1, buffer, length, md5);

            Received r = received.get();
            assertEquals("PUT", r.method());
            assertEquals("/bucket/set/vda.0000.full.qcow2", r.path());
            // aws-chunked framing would add per-chunk signatures to the body and allocate every chunk anew.
            assertNull(r.headers().getFirst("Content-Encoding"));
            assertNull(r.headers().getFirst("x-amz-decoded-content-length"));
            assertEquals(String.valueOf(length), r.headers().getFirst("Content-Length"));
            assertEquals(HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(part)),
                    r.headers().getFirst("x-amz-content-sha256"));
            assertEquals(md5, r.headers().getFirst("Content-MD5"));
            assertArrayEquals(part, r.body());
            assertEquals(HexFormat.of().formatHex(MessageDigest.getInstance("MD5").digest(part)), etag);
        }
    }
}
