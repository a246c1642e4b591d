package dev.virtchain.qcow2.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.Timeout;

/**
 * A Jazzer fuzz target: a {@link FuzzTest} with a per-input timeout. Jazzer passes the timeout to
 * libFuzzer when fuzzing (an input that runs longer is a finding); a regression run enforces it in
 * a separate thread, so a replayed input that loops fails instead of hanging the build. The first
 * input of a run also loads and instruments the library, which takes seconds on a busy machine.
 * Put a seed source ({@code @MethodSource}) before it: Jazzer wants its own sources last.
 */
@Target(ElementType.METHOD)
@Retention(RetentionPolicy.RUNTIME)
@FuzzTest
@Timeout(value = 20, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
public @interface FuzzTarget {
}
