package dev.virtchain.it;

import dev.virtchain.app.offsite.Bucket;
import dev.virtchain.app.offsite.RemoteOptions;
import dev.virtchain.app.offsite.S3Location;
import dev.virtchain.app.testing.CliDriver;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;

/** What the offsite tests share: the CLI with a gateway's credentials, buckets, files of random bytes. */
final class Offsite {
    private Offsite() {
    }

    /** virtchain as a process with the gateway's keys in the AWS variables (the machine's CA variables kept). */
    static CliDriver cli(CephRgw rgw) {
        return CliDriver.forThisRun().under(rgw.envCommand().toArray(String[]::new));
    }

    /** A plain SDK client of the gateway, for what virtchain never does (make buckets, change objects). */
    static S3Client s3(CephRgw rgw) {
        return S3Client.builder().httpClient(UrlConnectionHttpClient.create()).endpointOverride(URI.create(rgw.endpoint()))
                .forcePathStyle(true).region(Region.US_EAST_1)
                // RGW 16.2 refuses the SDK's default aws-chunked checksum trailers (400).
                .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
                .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED)
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(rgw.accessKey(),
                        rgw.secretKey())))
                .build();
    }

    static void makeBucket(CephRgw rgw, String name) {
        try (S3Client s3 = s3(rgw)) {
            s3.createBucket(b -> b.bucket(name));
        }
    }

    /**
     * virtchain's own view of a remote set, in this JVM: the SDK reads the keys from its system
     * properties (aws.accessKeyId, aws.secretAccessKey), as it would from the environment.
     */
    static Bucket bucket(CephRgw rgw, String url) throws IOException {
        System.setProperty("aws.accessKeyId", rgw.accessKey());
        System.setProperty("aws.secretAccessKey", rgw.secretKey());
        System.setProperty("aws.region", "us-east-1");
        return Bucket.open(S3Location.parse(url), new RemoteOptions(rgw.endpoint(), null));
    }

    static void randomFile(Path file, int size) throws IOException {
        byte[] b = new byte[size];
        new Random(size).nextBytes(b);
        Files.write(file, b);
    }
}
