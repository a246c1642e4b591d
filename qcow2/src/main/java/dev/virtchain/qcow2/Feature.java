package dev.virtchain.qcow2;

/** One entry of the feature name table header extension. */
public record Feature(Kind kind, int bit, String name) {
    public enum Kind {
        INCOMPATIBLE, COMPATIBLE, AUTOCLEAR;

        static Kind of(int type) {
            return switch (type) {
                case 0 -> INCOMPATIBLE;
                case 1 -> COMPATIBLE;
                case 2 -> AUTOCLEAR;
                default -> null;
            };
        }
    }
}
