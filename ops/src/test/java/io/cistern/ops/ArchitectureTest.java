package io.cistern.ops;

import static com.tngtech.archunit.base.DescribedPredicate.not;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.belongToAnyOf;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchRule;
import io.cistern.connections.ConnectionFailureTranslator;
import io.lettuce.core.RedisCommandExecutionException;
import io.lettuce.core.RedisCommandTimeoutException;
import java.sql.SQLException;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The module boundaries of DESIGN.md section 1, checked on the compiled classes of every module (ops depends on all of
 * them). Each rule says why it exists when it fails.
 */
class ArchitectureTest {
    private static JavaClasses classes;

    @BeforeAll
    static void importClasses() {
        classes = new ClassFileImporter()
                .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                // Other modules' test-jars (their fixtures and, in a reactor build, their test classes) are tests too:
                // DO_NOT_INCLUDE_TESTS knows only test-classes directories.
                .withImportOption(location -> !location.contains("-tests.jar"))
                .importPackages("io.cistern");
    }

    @Test
    void schema_dependsOnNoOtherCisternModule() {
        ArchRule rule = noClasses()
                .that()
                .resideInAPackage("io.cistern.schema..")
                .should()
                .dependOnClassesThat()
                .resideInAnyPackage(
                        "io.cistern.writer..",
                        "io.cistern.sync..",
                        "io.cistern.reader..",
                        "io.cistern.ops..",
                        "io.cistern.connections..")
                .because("schema is the contract every module shares; it may depend on nothing of ours"
                        + " (DESIGN.md section 1)");
        rule.check(classes);
    }

    @Test
    void services_neverDependOnEachOther() {
        noClasses()
                .that()
                .resideInAPackage("io.cistern.writer..")
                .should()
                .dependOnClassesThat()
                .resideInAnyPackage("io.cistern.sync..", "io.cistern.reader..", "io.cistern.ops..")
                .because("the services meet only in Redis and PostgreSQL, never by calling each other"
                        + " (DESIGN.md section 1)")
                .check(classes);
        noClasses()
                .that()
                .resideInAPackage("io.cistern.sync..")
                .should()
                .dependOnClassesThat()
                .resideInAnyPackage("io.cistern.writer..", "io.cistern.reader..", "io.cistern.ops..")
                .because("the services meet only in Redis and PostgreSQL (DESIGN.md section 1)")
                .check(classes);
        noClasses()
                .that()
                .resideInAPackage("io.cistern.reader..")
                .should()
                .dependOnClassesThat()
                .resideInAnyPackage("io.cistern.writer..", "io.cistern.sync..", "io.cistern.ops..")
                .because("the services meet only in Redis and PostgreSQL (DESIGN.md section 1)")
                .check(classes);
    }

    @Test
    void writerLibrary_usesNoSpringNoWebServerNoDatabaseDriver() {
        noClasses()
                .that()
                .resideInAPackage("io.cistern.writer")
                .should()
                .dependOnClassesThat()
                .resideInAnyPackage(
                        "org.springframework..",
                        "jakarta.servlet..",
                        "org.apache.catalina..",
                        "org.postgresql..",
                        "com.zaxxer..",
                        "java.sql..")
                .because("Java producers embed the writer library: it brings Lettuce and Cistern's own code only"
                        + " (DESIGN.md section 1); HTTP belongs in io.cistern.writer.http")
                .check(classes);
    }

    @Test
    void readerLibrary_usesNoSpringNoWebServer() {
        noClasses()
                .that()
                .resideInAPackage("io.cistern.reader")
                .should()
                .dependOnClassesThat()
                .resideInAnyPackage("org.springframework..", "jakarta.servlet..", "org.apache.catalina..")
                .because("Java services embed the reader library (and the Spring Boot starter wraps it): Spring and"
                        + " the web server belong in io.cistern.reader.http (DESIGN.md section 1)")
                .check(classes);
    }

    @Test
    void connections_dependOnNoCisternModule() {
        noClasses()
                .that()
                .resideInAPackage("io.cistern.connections..")
                .should()
                .dependOnClassesThat()
                .resideInAnyPackage(
                        "io.cistern.schema..",
                        "io.cistern.writer..",
                        "io.cistern.sync..",
                        "io.cistern.reader..",
                        "io.cistern.ops..")
                .because("connection settings are shared by every module and must not pull any of them in")
                .check(classes);
    }

    @Test
    void onlyTheFailureTaxonomy_classifiesRedisAndSqlFailures() {
        noClasses()
                .that()
                .resideOutsideOfPackage("io.cistern.schema.failure")
                .and(not(belongToAnyOf(ConnectionFailureTranslator.class)))
                .should()
                .callMethod(SQLException.class, "getSQLState")
                .orShould()
                .dependOnClassesThat()
                .areAssignableTo(RedisCommandExecutionException.class)
                .orShould()
                .dependOnClassesThat()
                .areAssignableTo(RedisCommandTimeoutException.class)
                .because("whether a Redis reply or a SQLSTATE is retryable, back-pressure, permanent or of unknown"
                        + " outcome is decided once, by RedisReplies and SqlStates in io.cistern.schema.failure;"
                        + " components pick their messages from the kind they return (ConnectionFailureTranslator"
                        + " alone also reads SQLSTATEs, to name the setting to fix)")
                .check(classes);
    }
}
