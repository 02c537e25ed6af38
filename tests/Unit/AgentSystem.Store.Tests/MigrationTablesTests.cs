namespace AgentSystem.Store.Tests;

public sealed class MigrationTablesTests
{
    [Fact]
    public void The_tables_a_migrator_makes_are_read_from_its_migrations_less_those_dropped_again()
    {
        Migration[] migrations =
        [
            new(1, "0001_a", "CREATE TABLE first (id int);\ncreate table if not exists public.Second (id int);\nCREATE TEMP TABLE scratch (id int);"),
            new(2, "0002_b", "CREATE INDEX first_idx ON first (id);\nDROP TABLE IF EXISTS second;\nCREATE TABLE third (id int);"),
        ];

        Assert.Equal(["first", "third"], Migration.TablesMadeBy(migrations));
    }
}
