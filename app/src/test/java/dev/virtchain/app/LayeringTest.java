package dev.virtchain.app;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.junit.AnalyzeClasses;
import com.tngtech.archunit.junit.ArchTest;
import com.tngtech.archunit.lang.ArchRule;
import java.util.Arrays;

/**
 * How the app's packages may depend on each other (DEVELOPERS.md, "Layout"): the commands stand
 * on {@code cli} (shared options, exit codes) and {@code libvirt} (the {@code Hypervisor}), which
 * know no command. Main classes only.
 */
@AnalyzeClasses(packages = "dev.virtchain", importOptions = ImportOption.DoNotIncludeTests.class)
class LayeringTest {
    private static final String[] COMMANDS = {
        "dev.virtchain.app.backup..", "dev.virtchain.app.boot..", "dev.virtchain.app.img..",
        "dev.virtchain.app.prune..", "dev.virtchain.app.restore..", "dev.virtchain.app.status.."};

    @ArchTest
    static final ArchRule theAppsSubPackagesDependOnEachOtherWithoutCycles = slices()
            .matching("dev.virtchain.app.(*)..")
            .should().beFreeOfCycles();

    @ArchTest
    static final ArchRule onlyTheRootWiresTheCommandsTogetherAndNoSubPackageDependsOnIt = noClasses()
            .that().resideInAPackage("dev.virtchain.app.(*)..")
            .should().dependOnClassesThat().resideInAPackage("dev.virtchain.app")
            .because("Main and VirtchainCommand name every command; a sub-package that used them would close a cycle");

    @ArchTest
    static final ArchRule theCliPlumbingKnowsNoCommandAndNoHypervisor = noClasses()
            .that().resideInAPackage("dev.virtchain.app.cli..")
            .should().dependOnClassesThat().resideInAnyPackage(append(COMMANDS, "dev.virtchain.app.libvirt.."))
            .because("every command uses the shared options and exit codes; they must not pull a command in");

    @ArchTest
    static final ArchRule theHypervisorKnowsNoCommandAndNoCliPlumbing = noClasses()
            .that().resideInAPackage("dev.virtchain.app.libvirt..")
            .should().dependOnClassesThat().resideInAnyPackage(append(COMMANDS, "dev.virtchain.app.cli.."))
            .because("libvirt is reached through the Hypervisor interface, which commands and tests use alike");

    @ArchTest
    static final ArchRule theImgCommandsWorkOnFilesAndNeverTouchLibvirt = noClasses()
            .that().resideInAPackage("dev.virtchain.app.img..")
            .should().dependOnClassesThat().resideInAnyPackage("dev.virtchain.app.libvirt..", "org.libvirt..")
            .because("img works on image files alone, as qemu-img does, with no hypervisor around");

    @ArchTest
    static final ArchRule theLibraryModulesNeverDependOnTheApp = noClasses()
            .that().resideInAnyPackage("dev.virtchain.qcow2..", "dev.virtchain.chain..", "dev.virtchain.xml..")
            .should().dependOnClassesThat().resideInAPackage("dev.virtchain.app..");

    private static String[] append(String[] a, String b) {
        String[] r = Arrays.copyOf(a, a.length + 1);
        r[a.length] = b;
        return r;
    }
}
