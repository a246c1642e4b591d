package dev.virtchain.app.offsite;

import dev.virtchain.qcow2.ErrorKind;
import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.ProfileCredentialsProvider;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.regions.providers.AwsProfileRegionProvider;
import software.amazon.awssdk.regions.providers.DefaultAwsRegionProviderChain;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3ClientBuilder;

/**
 * Makes the S3 client: the AWS SDK's own credential and region chains (environment, profile files),
 * the JDK's HTTP client (url-connection-client: the lightest of the SDK's clients, no Netty or
 * Apache in the jar), path-style addressing for an endpoint of our own (RGW serves buckets as
 * paths unless DNS is set up for it). Checksums are sent and checked only where the request
 * needs them: we send our own (Content-MD5 per part), which every S3 server checks; the SDK's
 * default (CRC32 in an aws-chunked trailer) is unknown to many S3-compatible servers.
 */
final class S3Access {
    /** Time to connect: an endpoint that does not answer fails within it, not after minutes. */
    private static final Duration CONNECT = Duration.ofSeconds(10);
    /** Time without a byte on an open connection; a stopped server is noticed within it. */
    private static final Duration SOCKET = Duration.ofSeconds(60);

    private S3Access() {
    }

    /** The client for {@code options}; the endpoint given or the AWS one for the region configured. */
    static S3Client client(RemoteOptions options) throws OffsiteException {
        S3ClientBuilder b = S3Client.builder()
                .httpClient(UrlConnectionHttpClient.builder().connectionTimeout(CONNECT).socketTimeout(SOCKET).build())
                .credentialsProvider(credentials(options.profile()))
                .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
                .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED);
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

    private static AwsCredentialsProvider credentials(String profile) {
        return profile != null ? ProfileCredentialsProvider.create(profile) : DefaultCredentialsProvider.builder().build();
    }

    /** The configured region; for a service of one's own none is needed, and us-east-1 signs for RGW and MinIO. */
    private static Region region(String profile, boolean ownEndpoint) throws OffsiteException {
        try {
            return profile != null ? new AwsProfileRegionProvider(null, profile).getRegion()
                    : DefaultAwsRegionProviderChain.builder().build().getRegion();
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
