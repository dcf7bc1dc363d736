package dev.tee.state;

/**
 * An event's place in its reader's {@link DeliveryLedger}: settling it tells the ledger the event
 * needs nothing more (delivered, dead-lettered, filtered or a duplicate).
 */
public final class Receipt {

    /** For events no ledger tracks (tests, tools). */
    public static final Receipt NONE = new Receipt(null, -1);

    private final DeliveryLedger<?> ledger;
    private final long sequence;

    Receipt(DeliveryLedger<?> ledger, long sequence) {
        this.ledger = ledger;
        this.sequence = sequence;
    }

    public void settle() {
        if (ledger != null) {
            ledger.settle(sequence);
        }
    }
}
