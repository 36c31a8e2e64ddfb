package io.cistern.schema.registry;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class ClosestNameTest {
    private static final List<String> TABLES = List.of("entities", "source_documents", "pages");
    private static final List<String> COLUMNS =
            List.of("document_uuid", "filename", "status", "size_bytes", "created_at", "id", "ids");

    @Test
    void singularOfAPluralTable_suggestsThePlural() {
        assertThat(ClosestName.among(TABLES, "source_document")).contains("source_documents");
    }

    @Test
    void oneLetterDroppedOrSwappedOrWrong_suggestsTheColumn() {
        assertThat(ClosestName.among(COLUMNS, "filname")).contains("filename");
        assertThat(ClosestName.among(COLUMNS, "fielname")).contains("filename");
        assertThat(ClosestName.among(COLUMNS, "stauts")).contains("status");
        assertThat(ClosestName.among(COLUMNS, "size_bytez")).contains("size_bytes");
    }

    @Test
    void twoEdits_stillSuggest_threeDoNot() {
        assertThat(ClosestName.among(COLUMNS, "creatd_a")).contains("created_at");
        assertThat(ClosestName.among(COLUMNS, "creatd_")).isEmpty();
    }

    @Test
    void otherLetterCase_suggestsTheRegisteredSpelling() {
        assertThat(ClosestName.among(TABLES, "Source_Documents")).contains("source_documents");
    }

    @Test
    void shortName_allowsOnlyOneEdit() {
        assertThat(ClosestName.among(List.of("uid", "key"), "id")).contains("uid");
        assertThat(ClosestName.among(List.of("status"), "st")).isEmpty();
        assertThat(ClosestName.among(List.of("abc"), "xyz")).isEmpty();
    }

    @Test
    void closestWins_andATieGoesToTheAlphabeticallyFirst() {
        assertThat(ClosestName.among(COLUMNS, "idss")).contains("ids");
        assertThat(ClosestName.among(List.of("cat", "bat"), "at")).contains("bat");
    }

    @Test
    void nothingClose_orTheNameItself_suggestsNothing() {
        assertThat(ClosestName.among(TABLES, "invoices")).isEmpty();
        assertThat(ClosestName.among(TABLES, "pages")).isEmpty();
        assertThat(ClosestName.among(TABLES, "")).isEmpty();
        assertThat(ClosestName.among(List.of(), "pages")).isEmpty();
    }

    @Test
    void distance_countsInsertsDeletesSubstitutionsAndNeighbourSwaps() {
        assertThat(ClosestName.distance("kitten", "sitting", 5)).isEqualTo(3);
        assertThat(ClosestName.distance("ab", "ba", 2)).isEqualTo(1);
        assertThat(ClosestName.distance("abc", "abc", 2)).isZero();
        assertThat(ClosestName.distance("a", "abcdef", 2)).isEqualTo(3);
    }
}
