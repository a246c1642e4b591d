package dev.virtchain.qcow2;

import static com.tngtech.archunit.library.Architectures.layeredArchitecture;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.junit.AnalyzeClasses;
import com.tngtech.archunit.junit.ArchTest;
import com.tngtech.archunit.lang.ArchRule;
import com.tngtech.archunit.library.dependencies.SliceAssignment;
import com.tngtech.archunit.library.dependencies.SliceIdentifier;

/**
 * The library's packages are layers (DEVELOPERS.md, "Inside qcow2, by layer"): each uses only the
 * layers listed before it, and the api at the package root may be used by all. Main classes only:
 * tests and the shared test helpers in {@code testing} may use any layer.
 */
@AnalyzeClasses(packages = "dev.virtchain.qcow2", importOptions = ImportOption.DoNotIncludeTests.class)
class LayeringTest {
    private static final String ROOT = "dev.virtchain.qcow2";

    @ArchTest
    static final ArchRule eachLayerUsesOnlyTheApiAndTheLayersListedBeforeIt = layeredArchitecture()
            .consideringOnlyDependenciesInLayers()
            .layer("api").definedBy(ROOT)
            .layer("io").definedBy(ROOT + ".io..")
            .layer("format").definedBy(ROOT + ".format..")
            .layer("read").definedBy(ROOT + ".read..")
            .layer("write").definedBy(ROOT + ".write..")
            .layer("check").definedBy(ROOT + ".check..")
            .layer("ops").definedBy(ROOT + ".ops..")
            .whereLayer("api").mayNotAccessAnyLayer()
            .whereLayer("io").mayOnlyAccessLayers("api")
            .whereLayer("format").mayOnlyAccessLayers("api", "io")
            .whereLayer("read").mayOnlyAccessLayers("api", "io", "format")
            .whereLayer("write").mayOnlyAccessLayers("api", "io", "format", "read")
            .whereLayer("check").mayOnlyAccessLayers("api", "io", "format", "read", "write")
            .whereLayer("ops").mayOnlyAccessLayers("api", "io", "format", "read", "write", "check")
            .because("a package that reached up a layer would tie the lower layer to what is built on it");

    @ArchTest
    static final ArchRule theQcow2PackagesDependOnEachOtherWithoutCycles = slices()
            .assignedFrom(new PackagesBelowTheRoot())
            .should().beFreeOfCycles();

    /** One slice per package under the root, the root package (the api) being one of them. */
    private static final class PackagesBelowTheRoot implements SliceAssignment {
        @Override
        public SliceIdentifier getIdentifierOf(JavaClass c) {
            String p = c.getPackageName();
            if (p.equals(ROOT)) {
                return SliceIdentifier.of("api");
            }
            if (p.startsWith(ROOT + ".")) {
                return SliceIdentifier.of(p.substring(ROOT.length() + 1).split("\\.")[0]);
            }
            return SliceIdentifier.ignore();
        }

        @Override
        public String getDescription() {
            return "the packages of " + ROOT;
        }
    }
}
