package dev.virtchain.app.offsite;

import dev.virtchain.qcow2.ErrorKind;
import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import software.amazon.awssdk.core.ResponseInputStream;
import software.amazon.awssdk.core.exception.ApiCallAttemptTimeoutException;
import software.amazon.awssdk.core.exception.ApiCallTimeoutException;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.CompletedMultipartUpload;
import software.amazon.awssdk.services.s3.model.CompletedPart;
import software.amazon.awssdk.services.s3.model.Delete;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.MultipartUpload;
import software.amazon.awssdk.services.s3.model.ObjectIdentifier;
import software.amazon.awssdk.services.s3.model.Part;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * The S3 calls virtchain makes on one set's keys, with every SDK failure turned into one line
 * that names the object and the cause the user can act on (never a credential).
 */
public final class Bucket implements AutoCloseable {
    /** One object as listed or looked at: size, ETag (quotes removed) and its user metadata. */
    public record ObjectInfo(String key, long size, String etag, Map<String, String> metadata) {
    }

    /** One finished part of a multipart upload. */
    public record UploadedPart(int number, long size, String etag) {
    }

    private final S3Client s3;
    private final S3Location where;
    private final String endpoint;

    private Bucket(S3Client s3, S3Location where, String endpoint) {
        this.s3 = s3;
        this.where = where;
        this.endpoint = endpoint;
    }

    /** Opens the set at {@code where} (no request yet). */
    public static Bucket open(S3Location where, RemoteOptions options) throws OffsiteException {
        return new Bucket(S3Access.client(options), where, S3Access.where(options));
    }

    public S3Location location() {
        return where;
    }

    /** Sub-directory of a set whose files are part of it (the checkpoint XMLs); deeper keys belong to other sets. */
    static final String CHECKPOINTS = "checkpoints/";

    /** Every object of the set (keys under its prefix, and under its checkpoints/), by file name. */
    public Map<String, ObjectInfo> list() throws OffsiteException {
        Map<String, ObjectInfo> out = new LinkedHashMap<>();
        String p = where.keyPrefix();
        try {
            for (S3Object o : s3.listObjectsV2Paginator(r -> r.bucket(where.bucket()).prefix(p)).contents()) {
                String name = o.key().substring(p.length());
                if (!name.contains("/") || (name.startsWith(CHECKPOINTS) && name.indexOf('/', CHECKPOINTS.length()) < 0)) {
                    out.put(name, new ObjectInfo(o.key(), o.size(), unquote(o.eTag()), Map.of()));
                }
            }
        } catch (SdkException e) {
            throw fail(e, where.toString(), "list");
        }
        return out;
    }

    /** The object of file {@code name}, or empty when there is none. */
    public Optional<ObjectInfo> head(String name) throws OffsiteException {
        String key = where.key(name);
        try {
            HeadObjectResponse r = s3.headObject(b -> b.bucket(where.bucket()).key(key));
            return Optional.of(new ObjectInfo(key, r.contentLength(), unquote(r.eTag()), r.metadata()));
        } catch (S3Exception e) {
            if (e.statusCode() == 404 && !"NoSuchBucket".equals(code(e))) {
                return Optional.empty();
            }
            throw fail(e, object(name), "look at");
        } catch (SdkException e) {
            throw fail(e, object(name), "look at");
        }
    }

    /** The whole object of {@code name}, at most {@code max} bytes. */
    public byte[] get(String name, long max) throws OffsiteException {
        try (ResponseInputStream<GetObjectResponse> in = s3.getObject(b -> b.bucket(where.bucket()).key(where.key(name)))) {
            long size = in.response().contentLength();
            if (size > max) {
                throw new OffsiteException(ErrorKind.CORRUPT, object(name) + " is " + size + " bytes, more than it can be ("
                        + max + ")");
            }
            return in.readAllBytes();
        } catch (SdkException e) {
            throw fail(e, object(name), "read");
        } catch (IOException e) {
            throw ioFail(e, object(name), "read");
        }
    }

    /**
     * Fills {@code dst} from byte {@code pos} of {@code name} with one ranged GET; false when the
     * object ended first. With {@code etag} given, only from the object of that ETag: an object
     * replaced since it was listed fails the read.
     */
    public boolean read(String name, String etag, long pos, ByteBuffer dst) throws OffsiteException {
        int len = dst.remaining();
        if (len == 0) {
            return true;
        }
        byte[] page = new byte[Math.min(len, 64 << 10)];
        return ranged(name, etag, pos, len, in -> {
            int n;
            while (dst.hasRemaining() && (n = in.read(page, 0, Math.min(page.length, dst.remaining()))) > 0) {
                dst.put(page, 0, n);
            }
            return !dst.hasRemaining();
        });
    }

    /** Each reading thread's buffer between the HTTP stream and the pages. */
    private static final ThreadLocal<byte[]> TRANSFER = ThreadLocal.withInitial(() -> new byte[64 << 10]);

    /**
     * Fills the first {@code length} bytes of {@code pages} (each but the last filled to its
     * capacity) from byte {@code pos} of {@code name}, of ETag {@code etag}, with one ranged GET;
     * false when the object ended first.
     */
    public boolean read(String name, String etag, long pos, ByteBuffer[] pages, int length) throws OffsiteException {
        byte[] buf = TRANSFER.get();
        return ranged(name, etag, pos, length, in -> {
            int done = 0;
            for (ByteBuffer page : pages) {
                page.clear();
                int want = Math.min(page.capacity(), length - done);
                while (want > 0) {
                    int n = in.read(buf, 0, Math.min(buf.length, want));
                    if (n < 0) {
                        return false;
                    }
                    page.put(buf, 0, n);
                    want -= n;
                    done += n;
                }
                if (done == length) {
                    break;
                }
            }
            return done == length;
        });
    }

    private interface RangeReader {
        boolean read(InputStream in) throws IOException;
    }

    private boolean ranged(String name, String etag, long pos, int len, RangeReader reader) throws OffsiteException {
        String range = "bytes=" + pos + "-" + (pos + len - 1);
        try (ResponseInputStream<GetObjectResponse> in = s3.getObject(b -> b.bucket(where.bucket()).key(where.key(name))
                .range(range).ifMatch(etag == null ? null : "\"" + etag + "\""))) {
            return reader.read(in);
        } catch (S3Exception e) {
            if (e.statusCode() == 416) {
                return false;
            }
            if (e.statusCode() == 412) {
                throw new OffsiteException(ErrorKind.CORRUPT, object(name) + " changed while it was read (its ETag is no "
                        + "longer " + etag + ")", e);
            }
            throw fail(e, object(name), "read");
        } catch (SdkException e) {
            throw fail(e, object(name), "read");
        } catch (IOException e) {
            throw ioFail(e, object(name), "read");
        }
    }

    /** Streams the whole object into {@code sink}. */
    public void download(String name, IoSink sink) throws OffsiteException {
        try (ResponseInputStream<GetObjectResponse> in = s3.getObject(b -> b.bucket(where.bucket()).key(where.key(name)))) {
            sink.accept(in);
        } catch (SdkException e) {
            throw fail(e, object(name), "read");
        } catch (IOException e) {
            throw e instanceof OffsiteException o ? o : ioFail(e, object(name), "read");
        }
    }

    /** What consumes a downloaded object's bytes. */
    public interface IoSink {
        void accept(InputStream in) throws IOException;
    }

    /** Writes a small object in one request, its MD5 checked by the server; returns its ETag. */
    public String put(String name, byte[] data, Map<String, String> metadata) throws OffsiteException {
        try {
            return unquote(s3.putObject(b -> b.bucket(where.bucket()).key(where.key(name)).contentMD5(md5(data, 0, data.length))
                    .metadata(metadata).overrideConfiguration(S3Access::boundedUpload), RequestBody.fromBytes(data)).eTag());
        } catch (SdkException e) {
            throw fail(e, object(name), "write");
        }
    }

    /** Starts a multipart upload of {@code name} and returns its id. */
    public String startUpload(String name, Map<String, String> metadata) throws OffsiteException {
        try {
            return s3.createMultipartUpload(b -> b.bucket(where.bucket()).key(where.key(name)).metadata(metadata)).uploadId();
        } catch (SdkException e) {
            throw fail(e, object(name), "start the upload of");
        }
    }

    /** The unfinished multipart uploads of the set: upload id by file name (the newest one of each). */
    public Map<String, String> unfinishedUploads() throws OffsiteException {
        Map<String, String> out = new LinkedHashMap<>();
        String p = where.keyPrefix();
        try {
            for (MultipartUpload u : s3.listMultipartUploadsPaginator(b -> b.bucket(where.bucket()).prefix(p)).uploads()) {
                String name = u.key().substring(p.length());
                if (!name.contains("/") || name.startsWith(CHECKPOINTS)) {
                    out.put(name, u.uploadId());
                }
            }
        } catch (SdkException e) {
            throw fail(e, where.toString(), "list the unfinished uploads of");
        }
        return out;
    }

    /** The parts already uploaded in {@code uploadId}; empty when the upload no longer exists. */
    public Optional<List<UploadedPart>> parts(String name, String uploadId) throws OffsiteException {
        List<UploadedPart> out = new ArrayList<>();
        try {
            for (Part p : s3.listPartsPaginator(b -> b.bucket(where.bucket()).key(where.key(name)).uploadId(uploadId))
                    .parts()) {
                out.add(new UploadedPart(p.partNumber(), p.size(), unquote(p.eTag())));
            }
        } catch (S3Exception e) {
            if ("NoSuchUpload".equals(code(e))) {
                return Optional.empty();
            }
            throw fail(e, object(name), "list the uploaded parts of");
        } catch (SdkException e) {
            throw fail(e, object(name), "list the uploaded parts of");
        }
        return Optional.of(out);
    }

    /** Uploads part {@code number} (from 1) of {@code uploadId} with its MD5 (base64), which the server checks; returns its ETag. */
    public String uploadPart(String name, String uploadId, int number, byte[] data, int length, String md5)
            throws OffsiteException {
        try {
            String etag = s3.uploadPart(b -> b.bucket(where.bucket()).key(where.key(name)).uploadId(uploadId)
                    .partNumber(number).contentMD5(md5).contentLength((long) length)
                    .overrideConfiguration(S3Access::boundedUpload),
                    // Streamed from the part's buffer, not copied (fromByteBuffer copies it).
                    RequestBody.fromContentProvider(() -> new java.io.ByteArrayInputStream(data, 0, length), length,
                            "application/octet-stream")).eTag();
            return unquote(etag);
        } catch (SdkException e) {
            throw fail(e, object(name), "upload part " + number + " of");
        }
    }

    /** Finishes {@code uploadId} from {@code parts} in order; the object appears only now. */
    public void completeUpload(String name, String uploadId, List<UploadedPart> parts) throws OffsiteException {
        List<CompletedPart> done = new ArrayList<>();
        for (UploadedPart p : parts) {
            done.add(CompletedPart.builder().partNumber(p.number()).eTag("\"" + p.etag() + "\"").build());
        }
        try {
            s3.completeMultipartUpload(b -> b.bucket(where.bucket()).key(where.key(name)).uploadId(uploadId)
                    .multipartUpload(CompletedMultipartUpload.builder().parts(done).build()));
        } catch (SdkException e) {
            throw fail(e, object(name), "finish the upload of");
        }
    }

    /** Gives up {@code uploadId}, its parts deleted. */
    public void abortUpload(String name, String uploadId) throws OffsiteException {
        try {
            s3.abortMultipartUpload(b -> b.bucket(where.bucket()).key(where.key(name)).uploadId(uploadId));
        } catch (S3Exception e) {
            if (!"NoSuchUpload".equals(code(e))) {
                throw fail(e, object(name), "abort the upload of");
            }
        } catch (SdkException e) {
            throw fail(e, object(name), "abort the upload of");
        }
    }

    /** Deletes the objects of {@code names}. */
    public void delete(List<String> names) throws OffsiteException {
        for (int i = 0; i < names.size(); i += 1000) {
            List<ObjectIdentifier> ids = new ArrayList<>();
            for (String n : names.subList(i, Math.min(names.size(), i + 1000))) {
                ids.add(ObjectIdentifier.builder().key(where.key(n)).build());
            }
            try {
                var r = s3.deleteObjects(b -> b.bucket(where.bucket()).delete(Delete.builder().objects(ids).build()));
                if (r.hasErrors() && !r.errors().isEmpty()) {
                    var err = r.errors().get(0);
                    throw new OffsiteException(ErrorKind.IO, "cannot delete " + where.bucketUrl(err.key()) + ": "
                            + err.code());
                }
            } catch (SdkException e) {
                throw fail(e, where.toString(), "delete objects of");
            }
        }
    }

    /** {@code s3://bucket/key} of file {@code name}. */
    public String object(String name) {
        return where.bucketUrl(where.key(name));
    }

    /**
     * One line for an SDK failure: wrong credentials, no bucket, an endpoint that does not answer
     * each get their own words; the SDK's message is used only where it holds no request detail.
     */
    OffsiteException fail(SdkException e, String what, String doing) {
        if (e instanceof S3Exception s) {
            String code = code(s);
            switch (code == null ? "" : code) {
                case "NoSuchBucket":
                    return new OffsiteException(ErrorKind.NOT_FOUND, "bucket " + where.bucket() + " does not exist at "
                            + endpoint + " (create it first, e.g. with your provider's tools)", e);
                case "InvalidAccessKeyId", "SignatureDoesNotMatch", "AccessDenied", "InvalidToken", "ExpiredToken":
                    return new OffsiteException(ErrorKind.IO, "cannot " + doing + " " + what + ": " + endpoint
                            + " refused the credentials (" + code + "); check AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, "
                            + "AWS_PROFILE or ~/.aws/credentials", e);
                case "NoSuchKey":
                    return new OffsiteException(ErrorKind.NOT_FOUND, what + " does not exist", e);
                default:
                    return new OffsiteException(ErrorKind.IO, "cannot " + doing + " " + what + ": " + endpoint
                            + " answered " + s.statusCode() + (code != null ? " " + code : ""), e);
            }
        }
        if (e instanceof ApiCallAttemptTimeoutException || e instanceof ApiCallTimeoutException) {
            return new OffsiteException(ErrorKind.IO, "cannot " + doing + " " + what + ": " + endpoint
                    + " stopped taking data (a request made no progress within " + S3Access.UPLOAD_ATTEMPT.toSeconds()
                    + " s); is the server or its storage full or stuck?", e);
        }
        Throwable c = rootCause(e);
        if (c instanceof ConnectException || c instanceof UnknownHostException || c instanceof SocketTimeoutException
                || c instanceof java.net.SocketException) {
            return new OffsiteException(ErrorKind.IO, "cannot " + doing + " " + what + ": " + endpoint
                    + " does not answer (" + (c.getMessage() != null ? c.getMessage() : c.getClass().getSimpleName()) + ")", e);
        }
        if (e instanceof SdkClientException && e.getMessage() != null && e.getMessage().contains("credentials")) {
            return new OffsiteException(ErrorKind.IO, "no AWS credentials found: set AWS_ACCESS_KEY_ID and "
                    + "AWS_SECRET_ACCESS_KEY, or AWS_PROFILE/--profile with ~/.aws/credentials", e);
        }
        return new OffsiteException(ErrorKind.IO, "cannot " + doing + " " + what + ": " + firstLine(e.getMessage()), e);
    }

    private OffsiteException ioFail(IOException e, String what, String doing) {
        return new OffsiteException(ErrorKind.IO, "cannot " + doing + " " + what + ": " + endpoint
                + " stopped answering (" + e.getMessage() + ")", e);
    }

    private static Throwable rootCause(Throwable e) {
        Throwable c = e;
        while (c.getCause() != null && c.getCause() != c) {
            c = c.getCause();
        }
        return c;
    }

    private static String firstLine(String s) {
        if (s == null) {
            return "unknown error";
        }
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }

    private static String code(S3Exception e) {
        return e.awsErrorDetails() != null ? e.awsErrorDetails().errorCode() : null;
    }

    static String unquote(String etag) {
        return etag != null && etag.length() >= 2 && etag.startsWith("\"") ? etag.substring(1, etag.length() - 1) : etag;
    }

    static String md5(byte[] data, int off, int len) {
        try {
            java.security.MessageDigest md = java.security.MessageDigest.getInstance("MD5");
            md.update(data, off, len);
            return Base64.getEncoder().encodeToString(md.digest());
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK has no MD5", e);
        }
    }

    @Override
    public void close() {
        s3.close();
    }
}
