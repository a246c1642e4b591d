package dev.virtchain.app.offsite;

import picocli.CommandLine.Option;

/**
 * How to reach object storage, for every command that takes an {@code s3://} address. Credentials
 * and region come the way the AWS tools take them: {@code AWS_ACCESS_KEY_ID} and
 * {@code AWS_SECRET_ACCESS_KEY} (and {@code AWS_SESSION_TOKEN}), {@code AWS_PROFILE} or
 * {@code --profile} in {@code ~/.aws/credentials} and {@code ~/.aws/config}, {@code AWS_REGION}.
 */
public final class RemoteOptions {
    @Option(names = "--endpoint", paramLabel = "URL",
            description = "S3 endpoint of a service other than AWS (Ceph RGW, MinIO, ...), e.g. http://rgw.example:7480; "
                    + "addressed path-style. Default: AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL, or AWS itself.")
    String endpoint;

    @Option(names = "--profile", paramLabel = "NAME",
            description = "The profile of ~/.aws/credentials and ~/.aws/config to use (default: AWS_PROFILE, else 'default').")
    String profile;

    public RemoteOptions() {
    }

    public RemoteOptions(String endpoint, String profile) {
        this.endpoint = endpoint;
        this.profile = profile;
    }

    public String endpoint() {
        return endpoint;
    }

    public String profile() {
        return profile;
    }
}
