package io.fme.tools;

import java.io.BufferedWriter;
import java.io.File;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.ParquetReader;
import org.apache.parquet.hadoop.example.GroupReadSupport;
import org.apache.parquet.hadoop.metadata.BlockMetaData;
import org.apache.parquet.hadoop.metadata.ColumnChunkMetaData;
import org.apache.parquet.hadoop.metadata.ParquetMetadata;
import org.apache.parquet.hadoop.util.HadoopInputFile;
import org.apache.parquet.schema.GroupType;
import org.apache.parquet.schema.LogicalTypeAnnotation;
import org.apache.parquet.schema.OriginalType;
import org.apache.parquet.schema.PrimitiveType;
import org.apache.parquet.schema.Type;

/**
 * Reads a Parquet file with parquet-mr's record API (the reader Spark and Hive use) and prints ONE
 * JSON document on stdout:
 *
 * <pre>{"codecs": ["LZO", ...], "createdBy": "...", "rows": [{"col": value, ...}, ...]}</pre>
 *
 * <ul>
 *   <li>{@code codecs}: the codec of every column chunk of every row group, in file order.
 *   <li>{@code rows}: every record, read through {@link ParquetReader} with {@link GroupReadSupport}
 *       on a Hadoop {@link Path} (local file system), so every page is decompressed by the codec
 *       parquet-mr picks for its chunk: for LZO that is {@code com.hadoop.compression.lzo.LzoCodec}
 *       (here from org.anarres.lzo:lzo-hadoop). Page CRCs are verified when present.
 * </ul>
 *
 * <p>Values: INT32 / INT64 / FLOAT / DOUBLE as JSON numbers (NaN and infinities as the strings
 * "NaN", "Infinity", "-Infinity"), BOOLEAN as true/false, BINARY annotated STRING / ENUM / JSON as
 * JSON strings, other BINARY and FIXED_LEN_BYTE_ARRAY as base64 strings, INT96 as its
 * {@code toString()}, an absent optional field as null, a repeated field as an array, a MAP group
 * whose keys are strings as a JSON object, and any other group as its {@code Group.toString()}.
 *
 * <p>Exits 0 on success; 2 on bad usage and 1 on any failure, with the reason on stderr.
 */
public final class ReadParquet {

  private ReadParquet() {}

  public static void main(String[] args) {
    if (args.length != 1 || args[0].startsWith("-")) {
      System.err.println("usage: ReadParquet <file.parquet>");
      System.exit(2);
    }
    File file = new File(args[0]).getAbsoluteFile();
    if (!file.isFile()) {
      System.err.println("ReadParquet: not a file: " + file);
      System.exit(1);
    }
    try {
      // Build the whole document first: on failure stdout stays empty rather than half a JSON.
      String json = read(file);
      Writer out = new BufferedWriter(new OutputStreamWriter(System.out, StandardCharsets.UTF_8), 1 << 16);
      out.write(json);
      out.write('\n');
      out.flush();
      if (System.out.checkError()) {
        System.err.println("ReadParquet: error writing stdout");
        System.exit(1);
      }
    } catch (Throwable e) {
      System.err.println("ReadParquet: failed to read " + file + ": " + e);
      e.printStackTrace(System.err);
      System.exit(1);
    }
  }

  static String read(File file) throws IOException {
    Configuration conf = new Configuration();
    // Stricter than Spark's default (off): a page whose CRC does not match fails the read.
    conf.setBoolean("parquet.page.verify-checksum.enabled", true);
    Path path = new Path(file.toURI());

    ParquetMetadata footer;
    try (ParquetFileReader fileReader = ParquetFileReader.open(HadoopInputFile.fromPath(path, conf))) {
      footer = fileReader.getFooter();
    }
    List<String> codecs = new ArrayList<>();
    for (BlockMetaData block : footer.getBlocks()) {
      for (ColumnChunkMetaData column : block.getColumns()) {
        codecs.add(column.getCodec().name());
      }
    }

    StringBuilder json = new StringBuilder(1 << 16);
    json.append("{\"codecs\": [");
    for (int i = 0; i < codecs.size(); i++) {
      if (i > 0) {
        json.append(", ");
      }
      appendString(json, codecs.get(i));
    }
    json.append("], \"createdBy\": ");
    String createdBy = footer.getFileMetaData().getCreatedBy();
    if (createdBy == null) {
      json.append("null");
    } else {
      appendString(json, createdBy);
    }
    json.append(", \"rows\": [");

    try (ParquetReader<Group> reader = ParquetReader.builder(new GroupReadSupport(), path).withConf(conf).build()) {
      boolean first = true;
      for (Group row = reader.read(); row != null; row = reader.read()) {
        json.append(first ? "\n" : ",\n");
        first = false;
        appendRecord(json, row);
      }
    }
    json.append("\n]}");
    return json.toString();
  }

  /** A group as a JSON object of its fields. */
  static void appendRecord(StringBuilder json, Group group) {
    GroupType type = group.getType();
    json.append('{');
    for (int field = 0; field < type.getFieldCount(); field++) {
      if (field > 0) {
        json.append(", ");
      }
      appendString(json, type.getFieldName(field));
      json.append(": ");
      appendField(json, group, field);
    }
    json.append('}');
  }

  /** One field of a group: null when absent, an array when repeated, else its single value. */
  static void appendField(StringBuilder json, Group group, int field) {
    Type type = group.getType().getType(field);
    int count = group.getFieldRepetitionCount(field);
    if (type.isRepetition(Type.Repetition.REPEATED)) {
      json.append('[');
      for (int i = 0; i < count; i++) {
        if (i > 0) {
          json.append(", ");
        }
        appendValue(json, group, field, i);
      }
      json.append(']');
    } else if (count == 0) {
      json.append("null");
    } else {
      appendValue(json, group, field, 0);
    }
  }

  static void appendValue(StringBuilder json, Group group, int field, int index) {
    Type type = group.getType().getType(field);
    if (!type.isPrimitive()) {
      Group nested = group.getGroup(field, index);
      if (!appendStringKeyedMap(json, nested)) {
        appendString(json, nested.toString());
      }
      return;
    }
    PrimitiveType primitive = type.asPrimitiveType();
    switch (primitive.getPrimitiveTypeName()) {
      case INT64:
        json.append(Long.toString(group.getLong(field, index)));
        break;
      case INT32:
        json.append(Integer.toString(group.getInteger(field, index)));
        break;
      case DOUBLE:
        appendDouble(json, group.getDouble(field, index));
        break;
      case FLOAT:
        float f = group.getFloat(field, index);
        if (Float.isNaN(f) || Float.isInfinite(f)) {
          appendString(json, Float.toString(f));
        } else {
          json.append(Float.toString(f));
        }
        break;
      case BOOLEAN:
        json.append(group.getBoolean(field, index) ? "true" : "false");
        break;
      case BINARY:
        if (isText(primitive)) {
          appendString(json, group.getString(field, index));
        } else {
          appendString(json, Base64.getEncoder().encodeToString(group.getBinary(field, index).getBytes()));
        }
        break;
      case FIXED_LEN_BYTE_ARRAY:
        appendString(json, Base64.getEncoder().encodeToString(group.getBinary(field, index).getBytes()));
        break;
      default: // INT96
        appendString(json, group.getValueToString(field, index));
        break;
    }
  }

  static boolean isText(PrimitiveType type) {
    LogicalTypeAnnotation logical = type.getLogicalTypeAnnotation();
    return logical instanceof LogicalTypeAnnotation.StringLogicalTypeAnnotation
        || logical instanceof LogicalTypeAnnotation.EnumLogicalTypeAnnotation
        || logical instanceof LogicalTypeAnnotation.JsonLogicalTypeAnnotation;
  }

  /**
   * A MAP group ({@code group (MAP) { repeated group key_value { key; value; } }}) whose keys are
   * strings, as a JSON object. Returns false, writing nothing, for any other group.
   */
  @SuppressWarnings("deprecation")
  static boolean appendStringKeyedMap(StringBuilder json, Group map) {
    GroupType mapType = map.getType();
    boolean annotated = mapType.getLogicalTypeAnnotation() instanceof LogicalTypeAnnotation.MapLogicalTypeAnnotation
        || mapType.getOriginalType() == OriginalType.MAP_KEY_VALUE;
    if (!annotated || mapType.getFieldCount() != 1 || mapType.getType(0).isPrimitive()
        || !mapType.getType(0).isRepetition(Type.Repetition.REPEATED)) {
      return false;
    }
    GroupType entryType = mapType.getType(0).asGroupType();
    if (entryType.getFieldCount() != 2 || !entryType.getType(0).isPrimitive()
        || !isText(entryType.getType(0).asPrimitiveType())) {
      return false;
    }
    json.append('{');
    int entries = map.getFieldRepetitionCount(0);
    for (int i = 0; i < entries; i++) {
      Group entry = map.getGroup(0, i);
      if (i > 0) {
        json.append(", ");
      }
      appendString(json, entry.getString(0, 0));
      json.append(": ");
      appendField(json, entry, 1);
    }
    json.append('}');
    return true;
  }

  static void appendDouble(StringBuilder json, double d) {
    if (Double.isNaN(d) || Double.isInfinite(d)) {
      appendString(json, Double.toString(d));
    } else {
      json.append(Double.toString(d)); // e.g. 1.5, 1.0E10: both valid JSON numbers
    }
  }

  /** A JSON string literal (RFC 8259): quotes, backslash and control characters escaped. */
  static void appendString(StringBuilder json, String s) {
    json.append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"':
          json.append("\\\"");
          break;
        case '\\':
          json.append("\\\\");
          break;
        case '\n':
          json.append("\\n");
          break;
        case '\r':
          json.append("\\r");
          break;
        case '\t':
          json.append("\\t");
          break;
        case '\b':
          json.append("\\b");
          break;
        case '\f':
          json.append("\\f");
          break;
        default:
          if (c < 0x20 || c == '\u2028' || c == '\u2029') {
            json.append(String.format("\\u%04x", (int) c));
          } else {
            json.append(c);
          }
      }
    }
    json.append('"');
  }
}
