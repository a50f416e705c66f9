// Compiles regular expressions with Joni (the Java port of Oniguruma that
// logstash's grok runs on) exactly as JRuby's Regexp.new(source, options) hands
// them to it: Ruby syntax (Syntax.DEFAULT), UTF-8, Option.MULTILINE for Ruby's
// /m. One JVM for every pattern of a run, with no JRuby to start.
//
// stdin, per pattern: a header line "<m|-> <length in bytes>\n", then the
// pattern's UTF-8 bytes. stdout, per pattern and in order: "ok" or
// "error <message>" on one line. Exit 0 unless the input is malformed.
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

import org.jcodings.specific.UTF8Encoding;
import org.joni.Option;
import org.joni.Regex;
import org.joni.Syntax;
import org.joni.WarnCallback;

public final class JoniCheck {
    private JoniCheck() {}

    private static String header(InputStream in) throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        int c;
        while ((c = in.read()) != -1 && c != '\n') {
            line.write(c);
        }
        if (c == -1 && line.size() == 0) {
            return null;
        }
        return line.toString(StandardCharsets.US_ASCII);
    }

    public static void main(String[] args) throws IOException {
        DataInputStream in = new DataInputStream(new BufferedInputStream(System.in));
        PrintStream out = new PrintStream(new BufferedOutputStream(System.out), false, "UTF-8");
        String head;
        while ((head = header(in)) != null) {
            String[] parts = head.split(" ");
            if (parts.length != 2) {
                System.err.println("JoniCheck: bad header: " + head);
                System.exit(2);
            }
            byte[] source = new byte[Integer.parseInt(parts[1])];
            in.readFully(source);
            int options = parts[0].equals("m") ? Option.MULTILINE : Option.NONE;
            try {
                new Regex(source, 0, source.length, options, UTF8Encoding.INSTANCE,
                          Syntax.DEFAULT, WarnCallback.NONE);
                out.println("ok");
            } catch (RuntimeException | StackOverflowError e) {
                // Joni's syntax errors, jcodings' unknown properties, and whatever else
                // compiling throws: JRuby's Regexp.new turns each into a RegexpError
                String message = String.valueOf(e.getMessage()).replaceAll("\\s+", " ");
                out.println("error " + message);
            }
        }
        out.flush();
    }
}
