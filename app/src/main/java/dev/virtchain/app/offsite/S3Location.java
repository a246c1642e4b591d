package dev.virtchain.app.offsite;

import dev.virtchain.qcow2.ErrorKind;

/**
 * Where a remote set lives: {@code s3://BUCKET/PREFIX}, the prefix a "directory" of keys
 * (empty: the bucket's top). Keys are {@code PREFIX/<file name>}, the names of the local set.
 */
public record S3Location(String bucket, String prefix) {
    public static final String SCHEME = "s3://";

    /** Whether {@code arg} names a remote set rather than a directory. */
    public static boolean isRemote(String arg) {
        return arg != null && arg.startsWith(SCHEME);
    }

    /** Parses {@code s3://BUCKET[/PREFIX]}; a bad one fails as usage. */
    public static S3Location parse(String url) throws OffsiteException {
        if (!isRemote(url)) {
            throw new OffsiteException(ErrorKind.USAGE, url + ": not an s3:// address (s3://BUCKET/PREFIX)");
        }
        String rest = url.substring(SCHEME.length());
        int slash = rest.indexOf('/');
        String bucket = slash < 0 ? rest : rest.substring(0, slash);
        String prefix = slash < 0 ? "" : rest.substring(slash + 1);
        while (prefix.endsWith("/")) {
            prefix = prefix.substring(0, prefix.length() - 1);
        }
        if (!bucket.matches("[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")) {
            throw new OffsiteException(ErrorKind.USAGE, url + ": '" + bucket + "' is not a bucket name (3 to 63 "
                    + "lower-case letters, digits, dots and hyphens)");
        }
        if (prefix.contains("//") || prefix.startsWith("/")) {
            throw new OffsiteException(ErrorKind.USAGE, url + ": the prefix has an empty part");
        }
        return new S3Location(bucket, prefix);
    }

    /** The key of file {@code name} of the set. */
    public String key(String name) {
        return prefix.isEmpty() ? name : prefix + "/" + name;
    }

    /** What every key of the set starts with. */
    public String keyPrefix() {
        return prefix.isEmpty() ? "" : prefix + "/";
    }

    /** {@code s3://bucket/key}. */
    public String bucketUrl(String key) {
        return SCHEME + bucket + "/" + key;
    }

    @Override
    public String toString() {
        return SCHEME + bucket + (prefix.isEmpty() ? "" : "/" + prefix);
    }
}
