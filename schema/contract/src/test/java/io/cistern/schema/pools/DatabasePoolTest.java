package io.cistern.schema.pools;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class DatabasePoolTest {
    @Test
    void encoded_decodesToTheSamePool_andIsStable() {
        DatabasePool pool = new DatabasePool("42@worker-1", "w-1", DatabasePool.SYNC_WORKER, 8, "db:5432/app");

        assertThat(DatabasePool.decode(pool.encode())).contains(pool);
        assertThat(pool.encode())
                .isEqualTo("{\"process\":\"42@worker-1\",\"instance\":\"w-1\",\"component\":\"sync-worker\","
                        + "\"maxSize\":8,\"database\":\"db:5432/app\"}");
    }

    @Test
    void aMemberThisReleaseCannotRead_decodesToEmpty() {
        assertThat(DatabasePool.decode("not json")).isEmpty();
        assertThat(DatabasePool.decode("{\"process\":\"1@h\"}")).isEmpty();
        assertThat(DatabasePool.decode("{\"process\":\"1@h\",\"instance\":\"i\",\"component\":\"c\",\"maxSize\":0,"
                        + "\"database\":\"d\"}"))
                .isEmpty();
    }

    @Test
    void database_joinsTheHostsThenTheDatabase() {
        assertThat(DatabasePool.database(List.of("a:5432", "b:5433"), "app")).isEqualTo("a:5432,b:5433/app");
    }

    @Test
    void aPoolOfNoConnections_isRefused_namingTheComponent() {
        assertThatThrownBy(() -> new DatabasePool("1@h", "i", "read-proxy", 0, "d"))
                .hasMessage("pool 'read-proxy' maxSize must be at least 1, not 0");
    }
}
