"""The aggregation step of longitudinal mode, in DuckDB, for the benchmark.

Same rule as empower: a scored record at school S in year Y counts when the
student also has records at S (at S's district when S has records in fewer
than 3 grades) in the two previous years of the input. Middle schools
(lowest tested grade >= 6) and schools with grades 9-12 split each cell by
whether the student reached level 4 in the same subject the year before.

usage: python3 duckdb_aggregate.py STUDENTS.csv OUT.csv
"""
import sys

import duckdb

students, out = sys.argv[1], sys.argv[2]
con = duckdb.connect()
columns = {
    "student_id": "BIGINT", "year": "SMALLINT", "school": "VARCHAR", "district": "VARCHAR",
    "grade": "TINYINT", "subject": "VARCHAR", "scale_score": "DOUBLE", "performance_level": "TINYINT",
    "enrolled_from": "VARCHAR", "enrolled_to": "VARCHAR", "low_income": "TINYINT", "el": "TINYINT",
    "iep": "TINYINT", "race": "VARCHAR",
}
con.execute(
    "CREATE TEMP TABLE r AS SELECT student_id, year, school, grade, subject, scale_score, performance_level "
    "FROM read_csv(?, header = true, columns = ?)",
    [students, columns],
)
con.execute(
    f"""
    COPY (
    WITH yrs AS (
        SELECT year, lag(year) OVER (ORDER BY year) AS y1, lag(year, 2) OVER (ORDER BY year) AS y2
        FROM (SELECT DISTINCT year FROM r)),
    sch AS (
        SELECT school,
               count(DISTINCT grade) < 3 AS by_district,
               coalesce(min(grade) FILTER (WHERE scale_score IS NOT NULL), 99) BETWEEN 6 AND 98
                 OR bool_or(grade BETWEEN 9 AND 12) AS splits
        FROM r GROUP BY school),
    enr AS (
        SELECT DISTINCT student_id, year, school AS place FROM r
        UNION
        SELECT DISTINCT student_id, year, 'D' || substr(school, 1, 11) FROM r),
    met AS (
        SELECT student_id, year, subject FROM r WHERE performance_level >= 4 GROUP BY ALL),
    s AS (
        SELECT r.student_id, r.year, r.school, r.grade, r.subject, r.scale_score, r.performance_level,
               y.y1, y.y2, sch.splits,
               CASE WHEN sch.by_district THEN 'D' || substr(r.school, 1, 11) ELSE r.school END AS place
        FROM r JOIN yrs y USING (year) JOIN sch USING (school)
        WHERE r.scale_score IS NOT NULL AND y.y2 IS NOT NULL)
    SELECT s.school, s.year, s.grade, s.subject,
           CASE WHEN NOT s.splits THEN 'all' WHEN m.student_id IS NOT NULL THEN 'met' ELSE 'not_met' END AS grp,
           count(*) AS n, sum(s.scale_score) AS score_sum,
           count(*) FILTER (WHERE s.performance_level >= 4) AS proficient
    FROM s
    LEFT JOIN met m ON m.student_id = s.student_id AND m.year = s.y1 AND m.subject = s.subject
    WHERE EXISTS (SELECT 1 FROM enr e WHERE e.student_id = s.student_id AND e.year = s.y1 AND e.place = s.place)
      AND EXISTS (SELECT 1 FROM enr e WHERE e.student_id = s.student_id AND e.year = s.y2 AND e.place = s.place)
    GROUP BY ALL
    ) TO '{out}' (HEADER, DELIMITER ',')
    """
)
