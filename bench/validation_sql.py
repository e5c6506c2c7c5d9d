# ruff: noqa: E501  (SQL text reads best unwrapped)
"""The rules of contracts hazchem.waybill and transport.alarm as one hand-written DuckDB SQL pass.

Only for bench/bench_validation.py, the yardstick for the GX path: same cleaning, same parsing, same domain
checks (GB 32100 / GB 11643 check characters, CAS check digit, GA 36 plates, Taicang box), same routing
(errors quarantine, warnings flag). The benchmark asserts both give the same reasons for every row.
"""

from __future__ import annotations

import re

USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
# Check sums unrolled into plain arithmetic (DuckDB list comprehensions per row are ~50x slower).
USCC_SUM = " + ".join(f"(instr('{USCC_CHARS}', substr(c, {i}, 1)) - 1) * {pow(3, i - 1, 31)}" for i in range(1, 18))
ID_SUM = " + ".join(f"substr(c, {i}, 1)::INT * {pow(2, 18 - i, 11)}" for i in range(1, 18))
CAS_SUM = " + ".join(f"substr(body, {i}, 1)::INT * {i}" for i in range(1, 10))
HAMMING = " + ".join(f"(substr(a, {i}, 1) <> substr(b, {i}, 1))::INT" for i in range(1, 19))
PLATE = "[京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼][A-HJ-NP-Z][A-HJ-NP-Z0-9]{4}[A-HJ-NP-Z0-9挂]"
NULL_TOKENS = "'', '无', '暂无', '/', '-', '—', 'null', 'NULL', 'None', 'N/A', '不详', '未知'"
FULLWIDTH = "".join(chr(c + 0xFEE0) for c in range(0x21, 0x7F)) + "\u3000"
HALFWIDTH = "".join(chr(c) for c in range(0x21, 0x7F)) + " "

MACROS = f"""
CREATE OR REPLACE MACRO clean(x) AS CASE WHEN trim(x) IN ({NULL_TOKENS}) THEN NULL ELSE trim(x) END;
CREATE OR REPLACE MACRO nfkc(x) AS CASE WHEN NOT regexp_matches(x, '[！-～　]') THEN x ELSE translate(x, '{FULLWIDTH.replace("'", "''")}', '{HALFWIDTH.replace("'", "''")}') END;
CREATE OR REPLACE MACRO norm_code(x) AS upper(replace(replace(trim(nfkc(x)), '-', ''), ' ', ''));
CREATE OR REPLACE MACRO uscc_ok(c) AS
    regexp_full_match(c, '[0-9A-HJ-NPQRTUWXY]{{2}}\\d{{6}}[0-9A-HJ-NPQRTUWXY]{{10}}')
    AND (31 - ({USCC_SUM}) % 31) % 31 = instr('{USCC_CHARS}', substr(c, 18, 1)) - 1;
CREATE OR REPLACE MACRO id_shape_ok(c) AS regexp_full_match(c, '\\d{{17}}[\\dX]');
CREATE OR REPLACE MACRO id_ok(c) AS id_shape_ok(c)
    AND substr('10X98765432', (1 + ({ID_SUM}) % 11)::BIGINT, 1) = substr(c, 18, 1)
    AND coalesce(try_strptime(substr(c, 7, 8), '%Y%m%d') <= current_date, false);
CREATE OR REPLACE MACRO cas_body(x) AS reverse(lpad(replace(regexp_extract(trim(nfkc(x)), '^(\\d+-\\d+)', 1), '-', ''), 9, '0'));
CREATE OR REPLACE MACRO cas_ok(x, body) AS regexp_full_match(x, '\\d{{2,7}}-\\d{{2}}-\\d')
    AND ({CAS_SUM}) % 10 = right(x, 1)::INT;
CREATE OR REPLACE MACRO differ_at(a, b) AS {HAMMING};
CREATE OR REPLACE MACRO plate_norm(x) AS regexp_replace(regexp_replace(
    regexp_replace(upper(trim(nfkc(x))), '[\\s·・•\\.\\-_]', '', 'g'),
    '^(渐变绿|黄绿|蓝|黄|黑|白|绿)', ''), '\\(?(渐变绿|黄绿|蓝|黄|黑|白|绿)色?\\)?$', '');
CREATE OR REPLACE MACRO plate_ok(x) AS CASE WHEN regexp_full_match(x, '{PLATE}') THEN true ELSE
    regexp_full_match(plate_norm(x),
        '[京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼使领][A-HJ-NP-Z][A-HJ-NP-Z0-9]{{4}}[A-HJ-NP-Z0-9挂学警港澳]')
    OR regexp_full_match(plate_norm(x),
        '[京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼][A-HJ-NP-Z](?:\\d{{5}}[DF]|[DF][A-HJ-NP-Z0-9]\\d{{4}})') END;
CREATE OR REPLACE MACRO ts(x) AS coalesce(TRY_CAST(x AS TIMESTAMP), try_strptime(nfkc(x), ['%Y/%m/%d %H:%M:%S',
    '%Y/%m/%d %H:%M', '%Y-%m-%d %H:%M', '%Y.%m.%d %H:%M:%S', '%Y年%m月%d日', '%Y/%m/%d', '%Y.%m.%d']));
CREATE OR REPLACE MACRO has_time(x) AS regexp_matches(x, '\\d:\\d\\d');
CREATE OR REPLACE MACRO num(x) AS coalesce(TRY_CAST(x AS DOUBLE),
    TRY_CAST(regexp_replace(replace(trim(nfkc(x)), ',', ''), '\\s*(吨|t|T|kg|公斤)$', '') AS DOUBLE));
CREATE OR REPLACE MACRO ident_shape_ok(c) AS regexp_full_match(c,
    '[0-9A-HJ-NPQRTUWXY]{{2}}\\d{{6}}[0-9A-HJ-NPQRTUWXY]{{10}}|\\d{{15}}|[0-9A-Z]{{8}}[0-9X]');
CREATE OR REPLACE MACRO end_before(s, s_time, e, e_time) AS CASE
    WHEN s IS NULL OR e IS NULL THEN false
    WHEN s_time AND e_time THEN e < s
    ELSE e::DATE < s::DATE END;
CREATE OR REPLACE MACRO beijing(t) AS timezone('Asia/Shanghai', t);
CREATE OR REPLACE MACRO in_box(lon, lat) AS lon BETWEEN 120.97 AND 121.33 AND lat BETWEEN 31.33 AND 31.75;
"""


def _rule(condition: str, rule: str) -> str:
    return f"CASE WHEN {condition} THEN '{rule}' END"


def _uscc(col: str) -> tuple[list[str], list[str]]:
    c = f"norm_code(clean({col}))"
    errors = [_rule(f"clean({col}) IS NOT NULL AND NOT ident_shape_ok({c})", "uscc_format")]
    warnings = [
        _rule(
            f"regexp_full_match({c}, '[0-9A-HJ-NPQRTUWXY]{{2}}\\d{{6}}[0-9A-HJ-NPQRTUWXY]{{10}}') AND NOT uscc_ok({c})",
            "uscc_check",
        )
    ]
    return errors, warnings


def waybill_sql(table: str) -> str:
    s_err, s_warn = _uscc('"托运人信用代码"')
    c_err, c_warn = _uscc('"承运人信用代码"')
    driver, escort = 'norm_code(clean("驾驶员身份证号"))', 'norm_code(clean("押运员身份证号"))'
    errors = [
        _rule('clean("运单编号") IS NULL', "required_missing"),
        _rule(r"""NOT regexp_full_match(clean("运单编号"), '^YD320585\d{12}$')""", "key_format"),
        _rule('clean("运单状态") IS NULL', "required_missing"),
        _rule("""clean("运单状态") NOT IN ('已创建', '运输中', '已完成', '作废')""", "code_unknown"),
        *s_err,
        *c_err,
        _rule('clean("车辆号牌") IS NULL', "required_missing"),
        _rule('clean("车辆号牌") IS NOT NULL AND NOT plate_ok(clean("车辆号牌"))', "plate_format"),
        _rule("""clean("车牌颜色") NOT IN ('黄', '黄绿')""", "code_unknown"),
        _rule('clean("挂车号牌") IS NOT NULL AND NOT plate_ok(clean("挂车号牌"))', "plate_format"),
        _rule('clean("驾驶员身份证号") IS NULL', "required_missing"),
        _rule(f"{driver} IS NOT NULL AND NOT id_ok({driver})", "id_number_check"),
        _rule(f"{escort} IS NOT NULL AND NOT id_ok({escort})", "id_number_check"),
        _rule(
            f"""{escort} = {driver} OR (clean("押运员姓名") = clean("驾驶员姓名") AND length({escort}) = length({driver})
                AND differ_at({escort}, {driver}) = 1)""",
            "driver_is_escort",
        ),
        _rule(
            """clean("UN编号") IS NOT NULL AND NOT regexp_full_match(norm_code(clean("UN编号")), '(UN)?\\d{4}')""",
            "code_unknown",
        ),
        _rule('clean("CAS号") IS NOT NULL AND NOT cas_ok(nfkc(clean("CAS号")), "CAS号__cas")', "cas_check"),
        _rule(
            """clean("危险货物类别") NOT IN ('1', '1.1', '1.2', '1.3', '1.4', '1.5', '1.6', '2', '2.1', '2.2', '2.3', '3',
               '4', '4.1', '4.2', '4.3', '5', '5.1', '5.2', '6', '6.1', '6.2', '7', '8', '9')""",
            "code_unknown",
        ),
        _rule('clean("数量(吨)") IS NOT NULL AND num(clean("数量(吨)")) IS NULL', "number_format"),
        _rule('clean("起运时间") IS NOT NULL AND "起运时间__ts" IS NULL', "date_format"),
        _rule('clean("到达时间") IS NOT NULL AND "到达时间__ts" IS NULL', "date_format"),
        _rule('end_before("起运时间__ts", "起运时间__time", "到达时间__ts", "到达时间__time")', "end_before_start"),
        _rule('clean("更新时间") IS NULL', "required_missing"),
        _rule('clean("更新时间") IS NOT NULL AND "更新时间__ts" IS NULL', "date_format"),
        _rule('"更新时间__ts" > beijing(_loaded_at)', "date_in_future"),
    ]
    return _select(table, errors, [*s_warn, *c_warn])


def alarm_sql(table: str) -> str:
    lon, lat = '"jd__num"', '"wd__num"'
    colours = "('1', '2', '3', '4', '5', '9', '93', '94')"
    errors = [
        _rule('clean("bjid") IS NULL', "required_missing"),
        _rule('clean("cphm") IS NOT NULL AND NOT plate_ok(clean("cphm"))', "plate_format"),
        _rule(f'clean("cpys") NOT IN {colours}', "code_unknown"),
        _rule('clean("bjlx") IS NULL', "required_missing"),
        _rule(
            """clean("bjlx") NOT IN ('1', '2', '3', '11', '13', '255', '6401', '6402', '6501', '6502', '6503', '6504')""",
            "code_unknown",
        ),
        _rule('clean("kssj") IS NULL', "required_missing"),
        _rule('clean("kssj") IS NOT NULL AND "kssj__ts" IS NULL', "date_format"),
        _rule('clean("jssj") IS NOT NULL AND "jssj__ts" IS NULL', "date_format"),
        _rule('end_before("kssj__ts", "kssj__time", "jssj__ts", "jssj__time")', "end_before_start"),
        *[_rule(f'clean("{c}") IS NOT NULL AND num(clean("{c}")) IS NULL', "number_format") for c in ("zgsd", "xs")],
        _rule(f'clean("jd") IS NOT NULL AND {lon} IS NULL', "number_format"),
        _rule(f'clean("wd") IS NOT NULL AND {lat} IS NULL', "number_format"),
        _rule(
            f"{lon} IS NOT NULL AND {lat} IS NOT NULL AND NOT in_box({lon}, {lat}) AND NOT in_box({lat}, {lon})",
            "coords_out_of_box",
        ),
        _rule("""clean("clzt") NOT IN ('0', '1', '2')""", "code_unknown"),
        _rule('clean("gxsj") IS NULL', "required_missing"),
        _rule('clean("gxsj") IS NOT NULL AND "gxsj__ts" IS NULL', "date_format"),
        _rule('"gxsj__ts" > beijing(_loaded_at)', "date_in_future"),
    ]
    warnings = [_rule(f"NOT in_box({lon}, {lat}) AND in_box({lat}, {lon})", "coords_swapped")]
    return _select(table, errors, warnings)


CODE_COLUMNS = {"托运人信用代码", "承运人信用代码", "驾驶员身份证号", "押运员身份证号", "UN编号"}
TIME_COLUMNS = {"起运时间", "到达时间", "更新时间", "kssj", "jssj", "gxsj"}
NUMBER_COLUMNS = {"jd", "wd"}


def _select(table: str, errors: list[str], warnings: list[str]) -> str:
    """Clean every column (and normalise the identifier columns) once, in a materialised CTE; then the rules."""
    rules = [re.sub(r'norm_code\(clean\("([^"]+)"\)\)', r'"\1__code"', r) for r in errors + warnings]
    rules = [re.sub(r'clean\("([^"]+)"\)', r'"\1"', r) for r in rules]
    found = (m for r in errors + warnings for m in re.findall(r'clean\("([^"]+)"\)|"([^"]+)__', r))
    columns = sorted({c for pair in found for c in pair if c})
    cleaned = ", ".join(f'clean("{c}") AS "{c}"' for c in columns)
    codes = "".join(f', norm_code(clean("{c}")) AS "{c}__code"' for c in columns if c in CODE_COLUMNS)
    codes += "".join(
        f', ts(clean("{c}")) AS "{c}__ts", has_time(clean("{c}")) AS "{c}__time"' for c in columns if c in TIME_COLUMNS
    )
    codes += "".join(f', num(clean("{c}")) AS "{c}__num"' for c in columns if c in NUMBER_COLUMNS)
    if "CAS号" in columns:
        codes += ', cas_body(clean("CAS号")) AS "CAS号__cas"'
    errs, warns = rules[: len(errors)], rules[len(errors) :]
    return f"""
        WITH c AS MATERIALIZED (SELECT _source_file, _record_number, _loaded_at, {cleaned}{codes} FROM {table})
        SELECT _source_file, _record_number,
               list_sort(list_distinct(list_filter([{", ".join(errs)}], lambda r: r IS NOT NULL))) AS reasons,
               list_sort(list_distinct(list_filter([{", ".join(warns)}], lambda r: r IS NOT NULL))) AS warnings
        FROM c
    """


QUERIES = {"hazchem.waybill": waybill_sql, "transport.alarm": alarm_sql}
