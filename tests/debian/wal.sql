-- sqlite3 on a file in WAL mode: fcntl locks, the -shm file mapped shared, a checkpoint.
drop table if exists t;
pragma journal_mode=wal;
create table t(a integer primary key, b text);
with recursive c(x) as (select 1 union all select x + 1 from c where x < 5000) insert into t select x, printf('row %d', x) from c;
create index tb on t(b);
begin; update t set b = upper(b) where a % 100 = 0; commit;
select count(*), sum(a), max(b) from t;
pragma integrity_check;
pragma wal_checkpoint(truncate);
