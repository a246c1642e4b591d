package dev.virtchain.app.offsite;

import dev.virtchain.qcow2.ErrorKind;
import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProviderChain;
import software.amazon.awssdk.auth.credentials.EnvironmentVariableCredentialsProvider;
import software.amazon.awssdk.auth.credentials.ProfileCredentialsProvider;
import software.amazon.awssdk.auth.credentials.SystemPropertyCredentialsProvider;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.awscore.AwsRequestOverrideConfiguration;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.regions.providers.AwsProfileRegionProvider;
import software.amazon.awssdk.regions.providers.AwsRegionProviderChain;
import software.amazon.awssdk.regions.providers.SystemSettingsRegionProvider;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3ClientBuilder;
import software.amazon.awssdk.services.s3.S3Configuration;

/**
 * Makes the S3 client: the AWS SDK's own credential and region chains (environment, profile files),
 * the JDK's HTTP client (url-connection-client: the lightest of the SDK's clients, no Netty or
 * Apache in the jar), path-style addressing for an endpoint of our own (RGW serves buckets as
 * paths unless DNS is set up for it). Checksums are sent and checked only where the request
 * needs them: we send our own (Content-MD5 per part), which every S3 server checks; the SDK's
 * default (CRC32 in an aws-chunked trailer) is unknown to many S3-compatible servers.
 * Chunked encoding is off: over plain http (an RGW of one's own) the SDK must sign the payload,
 * and its aws-chunked signer allocates a new 128 KiB array for every chunk it sends, so a push
 * made as much garbage as it sent bytes and G1 grew the heap for it (push peaked at 390 MiB).
 * Unchunked, the body's SHA-256 is computed over the part's buffer in place before it is sent
 * (the same hashing the chunked signer did); over https no payload is signed either way.
 */
final class S3Access {
    /** Time to connect: an endpoint that does not answer fails within it, not after minutes. */
    private static final Duration CONNECT = Duration.ofSeconds(10);
    /** Time without a byte on an open connection; a stopped server is noticed within it. */
    private static final Duration SOCKET = Duration.ofSeconds(60);

    /**
     * Time one attempt of an upload (a part of at most a few MiB, or a small object) may take. The
     * socket timeout covers reads only: a server that stops reading the body (an RGW whose storage
     * is full, say) leaves the write blocked for good, and a push from a timer hung until killed.
     * Whole-object downloads (pull) get no such bound: their time grows with the object.
     * {@code -Dvirtchain.remote.uploadAttemptSeconds=N} sets it (tests).
     */
    static final Duration UPLOAD_ATTEMPT = Duration.ofSeconds(Long.getLong("virtchain.remote.uploadAttemptSeconds", 600));

    private S3Access() {
    }

    /** An upload request's configuration: its attempts bounded by {@link #UPLOAD_ATTEMPT}. */
    static void boundedUpload(AwsRequestOverrideConfiguration.Builder b) {
        b.apiCallAttemptTimeout(UPLOAD_ATTEMPT);
    }

    /** The client for {@code options}; the endpoint given or the AWS one for the region configured. */
    static S3Client client(RemoteOptions options) throws OffsiteException {
        // Nothing of the SDK asks the EC2 metadata endpoint (see credentials()), even where a part would.
        if (System.getProperty("aws.disableEc2Metadata") == null) {
            System.setProperty("aws.disableEc2Metadata", "true");
        }
        S3ClientBuilder b = S3Client.builder()
                .httpClient(UrlConnectionHttpClient.builder().connectionTimeout(CONNECT).socketTimeout(SOCKET).build())
                .credentialsProvider(credentials(options.profile()))
                .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
                .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED)
                .serviceConfiguration(S3Configuration.builder().chunkedEncodingEnabled(false).build());
        String endpoint = options.endpoint();
        if (endpoint != null) {
            b.endpointOverride(endpointUri(endpoint)).forcePathStyle(true);
        }
        b.region(region(options.profile(), endpoint != null || System.getenv("AWS_ENDPOINT_URL") != null
                || System.getenv("AWS_ENDPOINT_URL_S3") != null));
        return b.build();
    }

    /** A description of where requests go, for messages: the endpoint, or AWS. */
    static String where(RemoteOptions options) {
        return options.endpoint() != null ? options.endpoint() : "AWS S3";
    }

    /**
     * The AWS chain without its network steps: the JVM's aws.* properties, the AWS_* variables,
     * then the profile files (which also run credential_process, SSO and role profiles). The SDK's
     * default chain would also ask an EC2/ECS metadata endpoint on a link-local address; a backup
     * tool on a host that is no cloud instance must not send requests there.
     */
    private static AwsCredentialsProvider credentials(String profile) {
        if (profile != null) {
            return ProfileCredentialsProvider.create(profile);
        }
        return AwsCredentialsProviderChain.of(SystemPropertyCredentialsProvider.create(),
                EnvironmentVariableCredentialsProvider.create(), ProfileCredentialsProvider.create());
    }

    /** The configured region; for a service of one's own none is needed, and us-east-1 signs for RGW and MinIO. */
    private static Region region(String profile, boolean ownEndpoint) throws OffsiteException {
        try {
            // As credentials: no metadata endpoint is asked.
            return profile != null ? new AwsProfileRegionProvider(null, profile).getRegion()
                    : new AwsRegionProviderChain(new SystemSettingsRegionProvider(), new AwsProfileRegionProvider())
                            .getRegion();
        } catch (SdkClientException e) {
            if (ownEndpoint) {
                return Region.US_EAST_1;
            }
            throw new OffsiteException(ErrorKind.USAGE, "no AWS region configured: set AWS_REGION, or region in "
                    + "~/.aws/config" + (profile != null ? " for profile " + profile : "") + " (or give --endpoint)");
        }
    }

    private static URI endpointUri(String endpoint) throws OffsiteException {
        try {
            URI u = new URI(endpoint);
            if (u.getScheme() == null || !(u.getScheme().equals("http") || u.getScheme().equals("https"))
                    || u.getHost() == null) {
                throw new URISyntaxException(endpoint, "not an http(s) URL");
            }
            return u;
        } catch (URISyntaxException e) {
            throw new OffsiteException(ErrorKind.USAGE, "--endpoint " + endpoint + ": not an http:// or https:// URL");
        }
    }
}
